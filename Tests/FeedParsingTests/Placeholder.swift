import Testing

@Test func placeholderFeedParsingTests() {}
