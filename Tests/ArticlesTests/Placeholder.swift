import Testing

@Test func placeholderArticlesTests() {}
