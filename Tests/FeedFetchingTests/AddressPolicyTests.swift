import FeedFetching
import Testing

/// A URL that an untrusted document names (a ROLIE feed's `src`) must not reach the
/// operator's own network: with `refusePrivateAddresses`, every connection — redirects
/// included — is checked before it is made, and nothing is sent to a loopback, private
/// or link-local address.
@Suite struct AddressPolicyTests {
    func fetch(_ url: String, refuse: Bool) throws -> FetchFailure? {
        let fetcher = try FeedFetcher(userAgent: "critfix-test")
        let request = FetchRequest(url: url, timeout: 5, refusePrivateAddresses: refuse)
        switch fetcher.fetch(request, consume: { _ in true }) {
        case .success: return nil
        case .failure(let failure): return failure
        }
    }

    /// Loopback only (a test sends nothing elsewhere, even when it fails); the other
    /// private ranges are CurlTests' table.
    @Test(arguments: [
        ("http://127.0.0.1:9/feed.json", "127.0.0.1, a loopback address"),
        ("http://127.9.8.7:9/feed.json", "127.9.8.7, a loopback address"),
        ("http://[::1]:9/feed.json", "::1, a loopback address"),
        ("http://[::ffff:127.0.0.1]:9/x", "::ffff:127.0.0.1, a loopback address"),
    ])
    func privateAddressesAreRefusedBeforeConnecting(_ url: String, _ reason: String) throws {
        let failure = try #require(try fetch(url, refuse: true))
        #expect(failure.reason == "refused: the server is at \(reason)")
    }

    /// Without the refusal the same URL is tried: port 9 on loopback is closed, so the
    /// reason is the connection, not the policy.
    @Test func withoutTheRefusalTheConnectionIsTried() throws {
        let failure = try #require(try fetch("http://127.0.0.1:9/feed.json", refuse: false))
        #expect(failure.reason.hasPrefix("cannot connect"), "\(failure.reason)")
    }
}
