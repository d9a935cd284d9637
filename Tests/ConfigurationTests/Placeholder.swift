import Testing

@Test func placeholderConfigurationTests() {}
