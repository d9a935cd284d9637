/// Durations as the files write them: `20s`, `5m`, `1h`, `2d`, `250ms`, a bare number
/// of seconds (`30`, `1.5`), or several parts added up (`1h30m`). Nothing negative.
public enum DurationText {
    /// Seconds, or nil when `text` is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        func skipSpaces() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        }
        func number() -> Double? {
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            guard index > start else { return nil }
            if index < bytes.count, bytes[index] == 0x2E {
                index += 1
                let fraction = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
                guard index > fraction else { return nil }
            }
            return Double(String(decoding: bytes[start..<index], as: UTF8.self))
        }
        func unit() -> Double? {
            let start = index
            while index < bytes.count, (bytes[index] | 0x20) >= 0x61, (bytes[index] | 0x20) <= 0x7A { index += 1 }
            switch String(decoding: bytes[start..<index], as: UTF8.self).lowercased() {
            case "ms": return 0.001
            case "s": return 1
            case "m": return 60
            case "h": return 3600
            case "d": return 86400
            default: return nil
            }
        }
        skipSpaces()
        guard index < bytes.count else { return nil }
        // A bare number is seconds.
        let start = index
        if let value = number() {
            skipSpaces()
            if index == bytes.count { return value.isFinite ? value : nil }
        }
        index = start
        var total = 0.0
        while index < bytes.count {
            guard let value = number() else { return nil }
            skipSpaces()
            guard let factor = unit() else { return nil }
            total += value * factor
            skipSpaces()
        }
        return total.isFinite ? total : nil
    }
}

/// Small text checks shared by both loaders; all work on UTF-8 bytes, without
/// Foundation, because they run for every value of a large registrations file.
enum Text {
    /// A value as shown inside a diagnostic: control characters escaped (so a
    /// diagnostic stays one line) and long values shortened.
    static func shown(_ value: String) -> String {
        var result = ""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == 80 {
                result += "…"
                break
            }
            count += 1
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// A whole number as YAML writes it in decimal (`10`, `-3`, `+4`).
    static func integer(_ text: String) -> Int? {
        Int(text)
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`
    static func isEnvironmentName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, isLetter(first) || first == 0x5F else { return false }
        return bytes.allSatisfy { isLetter($0) || isDigit($0) || $0 == 0x5F }
    }

    /// `[a-z0-9._-]+`
    static func isFeedName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || isDigit($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
            }
    }

    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }
    }

    // MARK: Email addresses

    /// An addr-spec as mail systems accept it in practice: `local@domain`, printable
    /// ASCII only (no spaces, control characters, CR or LF), a dot-atom local part of
    /// at most 64 bytes and a host name of letters, digits and hyphens, without
    /// empty labels (`a..b`), quoted local parts or address literals.
    static func isEmailAddress(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: 0x40) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty, domain.count <= 253 else { return false }
        // Local part: dot-atom.
        guard local.first != 0x2E, local.last != 0x2E else { return false }
        var previous: UInt8 = 0
        for byte in local {
            guard isAtext(byte) || byte == 0x2E else { return false }
            if byte == 0x2E, previous == 0x2E { return false }
            previous = byte
        }
        // Domain: labels of letters, digits and hyphens.
        for label in domain.split(separator: 0x2E, omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63, label.first != 0x2D, label.last != 0x2D else { return false }
            guard label.allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x2D }) else { return false }
        }
        return true
    }

    /// RFC 5322 atext.
    static func isAtext(_ byte: UInt8) -> Bool {
        if isLetter(byte) || isDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
            UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
            UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `Name <addr>`, `"Name" <addr>` or a bare address.
    static func mailbox(_ text: String) -> Mailbox? {
        let trimmed = text.trimmed
        guard !hasControlCharacters(trimmed) else { return nil }
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            guard isEmailAddress(address) else { return nil }
            var name = trimmed[..<open].trimmed
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            guard !name.contains("<"), !name.contains(">") else { return nil }
            return Mailbox(name: name.isEmpty ? nil : name, address: address)
        }
        return isEmailAddress(trimmed) ? Mailbox(name: nil, address: trimmed) : nil
    }

    // MARK: Webhook secrets

    /// Standard Webhooks: `whsec_` followed by standard base64 (padding optional).
    static func isWebhookSecret(_ secret: String) -> Bool {
        guard secret.hasPrefix("whsec_") else { return false }
        return isBase64(Array(secret.utf8.dropFirst(6)))
    }

    static func isBase64(_ bytes: [UInt8]) -> Bool {
        var body = bytes[...]
        var padding = 0
        while body.last == 0x3D {
            body.removeLast()
            padding += 1
        }
        guard !body.isEmpty, padding <= 2 else { return false }
        guard body.allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2F }) else { return false }
        if padding > 0 { return bytes.count % 4 == 0 }
        return body.count % 4 != 1
    }

    // MARK: URLs

    struct Authority {
        /// Lowercased.
        var scheme: String
        var userinfo: Bool
        var host: String
        var port: Int?
    }

    /// Splits `scheme://[user@]host[:port][/…]`; nil when there is no host, the port
    /// is not a number in 1…65535, or the text has spaces or control characters.
    static func authority(of url: String) -> Authority? {
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let separator = url.range(of: "://")
        else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard let first = scheme.utf8.first, isLetter(first) else { return nil }
        let rest = url[separator.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<end]
        var userinfo = false
        if let at = authority.lastIndex(of: "@") {
            userinfo = true
            authority = authority[authority.index(after: at)...]
        }
        var host = authority
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = number
        }
        guard !host.isEmpty else { return nil }
        if !host.hasPrefix("[") {
            guard host.utf8.allSatisfy({ isLetter($0) || isDigit($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || $0 >= 0x80 })
            else { return nil }
        }
        if let port, !(1...65535).contains(port) { return nil }
        return Authority(scheme: scheme, userinfo: userinfo, host: String(host), port: port)
    }

    /// True when `text` starts with `scheme://`.
    static func hasScheme(_ text: String) -> Bool {
        guard let separator = text.range(of: "://") else { return false }
        let scheme = text[..<separator.lowerBound].utf8
        guard let first = scheme.first, isLetter(first) else { return false }
        return scheme.allSatisfy { isLetter($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E }
    }

    // MARK: Suggestions

    /// The allowed word closest to `word` (case-insensitive edit distance at most 2,
    /// and less than half the word), for "did you mean".
    static func closest(to word: String, among candidates: [String]) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.unicodeScalars))
            if distance <= 2, distance * 2 < max(target.count, 2), distance < (best?.1 ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours (`pnal` for `plan`) count one each.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}

/// Paths in the configuration are relative to the configuration file.
enum Paths {
    /// `path` made absolute against `directory`: `~/…` uses `home`, the result has no
    /// `.` or empty components (`..` is kept: the directory may be a symbolic link).
    static func resolve(_ path: String, against directory: String, home: String?) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/"), let home, !home.isEmpty {
            path = home + path.dropFirst()
        }
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        return normalise(joined)
    }

    static func normalise(_ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }

    /// The directory of an absolute path.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}

extension StringProtocol {
    var trimmed: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
