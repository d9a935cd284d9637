/// A Common Platform Enumeration name (SPEC 3): CPE 2.2 URIs (`cpe:/o:redhat:enterprise_linux:8`)
/// and CPE 2.3 formatted strings (`cpe:2.3:o:redhat:enterprise_linux:8:*:*:*:*:*:*:*`) read
/// into the same eleven attributes, so that either form matches the other.
public struct CPE: Sendable, Hashable, CustomStringConvertible {
    /// part, vendor, product, version, update, edition, language, sw_edition, target_sw,
    /// target_hw, other — lower-cased, unescaped; "" for ANY (`*`, empty) and NA (`-`).
    public let attributes: [String]
    /// As written.
    public let text: String

    static let attributeCount = 11

    /// Nil when `text` is neither form (the reason is ``problem(_:)``'s).
    public init?(_ text: String) {
        guard let attributes = Self.parse(text.trimmingWhitespace()) else { return nil }
        self.attributes = attributes
        self.text = text.trimmingWhitespace()
    }

    public var description: String { text }

    /// Why `text` is not a CPE name, or nil when it is one.
    public static func problem(_ text: String) -> String? {
        parse(text.trimmingWhitespace()) == nil
            ? "'\(text)' is not a CPE name (write cpe:/PART:VENDOR:PRODUCT[:VERSION…] or cpe:2.3:PART:VENDOR:PRODUCT:…)"
            : nil
    }

    /// True when every attribute this entry gives equals the other's (case-insensitively):
    /// ANY and NA in the entry match anything.
    public func covers(_ other: CPE) -> Bool {
        for (mine, theirs) in zip(attributes, other.attributes) where !mine.isEmpty && mine != theirs { return false }
        return true
    }

    private static func parse(_ text: String) -> [String]? {
        let lower = text.lowercased()
        var values: [String]
        if lower.hasPrefix("cpe:2.3:") {
            // The full form has all eleven attributes; the short forms people write
            // (`cpe:2.3:a:redhat:openshift:4.6`) leave the rest ANY.
            values = splitFormatted(String(lower.dropFirst("cpe:2.3:".count)))
            guard (1...attributeCount).contains(values.count) else { return nil }
            values += Array(repeating: "", count: attributeCount - values.count)
        } else if lower.hasPrefix("cpe:/") {
            // CPE 2.2: up to seven components; the edition may pack five attributes as
            // `~edition~sw_edition~target_sw~target_hw~other`.
            let parts = lower.dropFirst("cpe:/".count).split(separator: ":", omittingEmptySubsequences: false)
                .map { percentDecoded(String($0)) }
            guard (1...7).contains(parts.count) else { return nil }
            values = Array(repeating: "", count: attributeCount)
            for (index, part) in parts.enumerated() { values[index] = part }
            if parts.count > 5, parts[5].hasPrefix("~") {
                let packed = parts[5].dropFirst().split(separator: "~", omittingEmptySubsequences: false).map(String.init)
                guard packed.count == 5 else { return nil }
                values[5] = packed[0]
                for (offset, value) in packed.dropFirst().enumerated() { values[7 + offset] = value }
            }
        } else {
            return nil
        }
        values = values.map { $0 == "*" || $0 == "-" ? "" : $0 }
        guard let part = values.first, ["", "a", "o", "h"].contains(part) else { return nil }
        guard !values.contains(where: { $0.contains(where: \.isWhitespace) }) else { return nil }
        return values
    }

    /// CPE 2.3 attributes: split at unescaped colons, backslash escapes removed.
    private static func splitFormatted(_ text: String) -> [String] {
        var values: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                values.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        values.append(current)
        return values
    }

    private static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A package URL pattern of the catalog (SPEC 3): `pkg:rpm/redhat/openssl` matches any
/// package URL of that type, namespace and name (version and qualifiers aside); one
/// ending in `/` (`pkg:rpm/redhat/`) matches every package URL that starts with it.
public struct PackageURLPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let prefix: String?
    private let identity: String?

    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.lowercased().hasPrefix("pkg:"), !trimmed.contains(where: \.isWhitespace) else { return nil }
        self.text = trimmed
        if trimmed.hasSuffix("/") {
            guard trimmed.count > "pkg:".count + 1 else { return nil }
            prefix = trimmed.lowercased()
            identity = nil
        } else {
            guard let identity = Self.identity(trimmed) else { return nil }
            prefix = nil
            self.identity = identity
        }
    }

    public var description: String { text }

    /// Why `text` is not a usable pattern, or nil when it is one.
    public static func problem(_ text: String) -> String? {
        PackageURLPattern(text) == nil
            ? "'\(text)' is not a package URL (write pkg:TYPE/NAMESPACE/NAME, or a prefix ending in /)" : nil
    }

    public func matches(_ purl: String) -> Bool {
        if let prefix { return purl.lowercased().hasPrefix(prefix) }
        return Self.identity(purl) == identity
    }

    /// `type/namespace/name`, lower-cased, percent-decoding aside: the purl without its
    /// version, qualifiers and subpath; nil when it has no type or name.
    static func identity(_ purl: String) -> String? {
        guard purl.lowercased().hasPrefix("pkg:") else { return nil }
        var rest = Substring(purl.dropFirst(4))
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        if let cut = rest.firstIndex(where: { $0 == "#" || $0 == "?" }) { rest = rest[..<cut] }
        if let at = rest.lastIndex(of: "@") { rest = rest[..<at] }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        return parts.joined(separator: "/").lowercased()
    }
}
