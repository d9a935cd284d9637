import Testing

@Test func placeholderMatchingTests() {}
