public import Glibc

/// Which addresses a connection may go to: a registrations file must not be a way into
/// the operator's own network (SPEC 6.3).
public enum AddressPolicy {
    /// Why `address` (an IPv4 or IPv6 address in network byte order) is not a public
    /// address — loopback, private, link-local, shared, unspecified — or nil when it is.
    public static func restriction(ipv4 bytes: [UInt8]) -> String? {
        guard bytes.count == 4 else { return "not an address" }
        switch (bytes[0], bytes[1]) {
        case (127, _): return "a loopback address"
        case (10, _): return "a private address"
        case (172, 16...31): return "a private address"
        case (192, 168): return "a private address"
        case (169, 254): return "a link-local address"
        case (100, 64...127): return "a shared (carrier-grade NAT) address"
        case (0, _): return "an unspecified address"
        default: return nil
        }
    }

    public static func restriction(ipv6 bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return "not an address" }
        let prefixZero = bytes[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (IPv4-mapped) and the deprecated ::a.b.c.d (IPv4-compatible).
        if prefixZero && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return restriction(ipv4: Array(bytes[12..<16]))
        }
        if prefixZero && bytes[10] == 0 && bytes[11] == 0 {
            if bytes[12..<15].allSatisfy({ $0 == 0 }) {
                if bytes[15] == 1 { return "a loopback address" }
                if bytes[15] == 0 { return "an unspecified address" }
            }
            return restriction(ipv4: Array(bytes[12..<16]))
        }
        // 64:ff9b::/96 (NAT64) embeds an IPv4 address too.
        if bytes[0] == 0x00, bytes[1] == 0x64, bytes[2] == 0xFF, bytes[3] == 0x9B, bytes[4..<12].allSatisfy({ $0 == 0 }) {
            return restriction(ipv4: Array(bytes[12..<16]))
        }
        if bytes[0] & 0xFE == 0xFC { return "a private (unique local) address" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "a link-local address" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return "a site-local address" }
        return nil
    }

    /// The restriction of an address written as text (`10.0.0.1`, `::1`), or nil when it
    /// is public or not an address.
    public static func restriction(address text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return restriction(ipv4: withUnsafeBytes(of: &v4) { Array($0) }) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return restriction(ipv6: withUnsafeBytes(of: &v6) { Array($0) }) }
        return nil
    }

    /// The text form and the restriction of a socket address (nil restriction: public).
    public static func check(_ address: UnsafePointer<sockaddr>) -> (text: String, restriction: String?) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                var value = pointer.pointee.sin_addr
                let bytes = withUnsafeBytes(of: &value) { Array($0) }
                return (text(AF_INET, &value), restriction(ipv4: bytes))
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                var value = pointer.pointee.sin6_addr
                let bytes = withUnsafeBytes(of: &value) { Array($0) }
                return (text(AF_INET6, &value), restriction(ipv6: bytes))
            }
        default:
            return ("an address of family \(address.pointee.sa_family)", "not an internet address")
        }
    }

    private static func text(_ family: Int32, _ address: UnsafeRawPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(family, address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
