import Testing

@Test func placeholderStateStoreTests() {}
