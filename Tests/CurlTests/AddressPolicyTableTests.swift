import Curl
import Testing

/// Which addresses a webhook or a ROLIE document may not go to, form by form: every
/// private, loopback, link-local and shared range, and the IPv6 forms that embed IPv4.
@Suite struct AddressPolicyTableTests {
    @Test(arguments: [
        ("127.0.0.1", "a loopback address"), ("127.255.0.9", "a loopback address"),
        ("10.0.0.1", "a private address"), ("172.16.0.1", "a private address"), ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"), ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"), ("0.0.0.0", "an unspecified address"),
        ("::1", "a loopback address"), ("::", "an unspecified address"),
        ("::ffff:10.1.2.3", "a private address"), ("::ffff:127.0.0.1", "a loopback address"),
        ("::192.168.0.1", "a private address"), ("64:ff9b::a9fe:a9fe", "a link-local address"),
        ("fd00::1", "a private (unique local) address"), ("fc12::1", "a private (unique local) address"),
        ("fe80::1", "a link-local address"), ("fec0::1", "a site-local address"),
    ])
    func restricted(_ address: String, _ reason: String) {
        #expect(AddressPolicy.restriction(address: address) == reason)
    }

    @Test(arguments: ["93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "2001:db8::1", "2a00:1450::1",
                      "::ffff:93.184.216.34", "not an address"])
    func publicOrNotAnAddress(_ address: String) {
        #expect(AddressPolicy.restriction(address: address) == nil)
    }
}
