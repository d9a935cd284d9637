import Foundation

/// Turns collected character data into the plain text an article carries: white space
/// collapsed, and for HTML (an RSS `description`, Atom `type="html"`) tags, comments,
/// scripts and styles removed and HTML entities decoded. Works on UTF-8 bytes, one pass.
///
/// Control characters never reach an article: C0 controls (other than white space) and DEL
/// are dropped, and C1 controls (U+0080–U+009F, which XML allows) are read as the
/// Windows-1252 characters they almost always stand for (a feed declared ISO-8859-1 but
/// written in Windows-1252: `don\u{92}t` → `don’t`), or dropped where Windows-1252 has none.
package enum PlainText {
    /// Plain text with white space runs folded into one space and trimmed.
    /// At most `maxCharacters` characters when given.
    package static func collapsed(_ bytes: UnsafeBufferPointer<UInt8>, maxCharacters: Int? = nil) -> String {
        withOutput(capacity: bytes.count, maxCharacters: maxCharacters) { out in
            out.repairsControls = true
            for c in bytes {
                if c > 0x20 {
                    out.append(c)
                } else if isSpace(c) {
                    out.pendingSpace = true
                }  // else a C0 control: dropped
            }
        }
    }

    package static func collapsed(_ text: String) -> String {
        var text = text
        return text.withUTF8 { collapsed($0) }
    }

    /// True when `bytes` hold nothing but white space.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        !bytes.contains { !isSpace($0) }
    }

    /// The text without surrounding white space, otherwise as written (ids, links, dates).
    package static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// An item's summary: HTML made plain text, or text with its white space collapsed.
    static func summary(_ bytes: UnsafeBufferPointer<UInt8>, isHTML: Bool) -> String {
        isHTML
            ? fromHTML(bytes, maxCharacters: maxSummaryCharacters) : collapsed(bytes, maxCharacters: maxSummaryCharacters)
    }

    /// Text of an HTML fragment: markup stripped, entities decoded, white space collapsed;
    /// at most `maxCharacters` characters when given.
    package static func fromHTML(_ b: UnsafeBufferPointer<UInt8>, maxCharacters: Int? = nil) -> String {
        withOutput(capacity: b.count, maxCharacters: maxCharacters) { out in
            out.repairsControls = true
            html(b, into: &out)
        }
    }

    static func fromHTML(_ text: String, maxCharacters: Int? = nil) -> String {
        var text = text
        return text.withUTF8 { fromHTML($0, maxCharacters: maxCharacters) }
    }

    /// Runs `body` with an output buffer for `capacity` input bytes, then makes the String.
    ///
    /// The output is never longer than the input: a decoded entity is shorter than its
    /// reference, and an emitted space stands for at least one input byte (white space, a
    /// tag, an entity). `Output.append` still refuses to write past the buffer.
    private static func withOutput(capacity: Int, maxCharacters: Int?, _ body: (inout Output) -> Void) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity + 8) { buffer in
            // A character is at most 4 bytes in UTF-8 (ignoring combining sequences): stop
            // once enough bytes for `maxCharacters` characters, with a margin, are out.
            let limit = maxCharacters.map { min($0 * 8 + 64, buffer.count) } ?? buffer.count
            var out = Output(base: buffer.baseAddress!, limit: limit)
            body(&out)
            return out.string(maxCharacters: maxCharacters)
        }
    }

    private static func html(_ b: UnsafeBufferPointer<UInt8>, into out: inout Output) {
        let n = b.count
        var i = 0
        while i < n, !out.isFull {
            let c = b[i]
            if isPlain(c) {
                // The common case: a run of ordinary text and single spaces, copied as is.
                out.append(c)
                i += 1
                let base = out.base
                var count = out.count
                // Each input byte of the run gives at most one output byte; b[i + 1] stays in bounds.
                let stop = min(n - 1, i + (out.limit - count) - 2)
                while i < stop {
                    // Eight bytes at a time while they are plain text and single spaces.
                    if i + 8 <= stop, let input = b.baseAddress {
                        let word = UnsafeRawPointer(input + i).loadUnaligned(as: UInt64.self)
                        let plain = plainPrefix(UInt64(littleEndian: word))
                        if plain > 0 {
                            // All 8 bytes are stored (the buffer has room: i + 8 <= stop), `plain` kept.
                            UnsafeMutableRawPointer(base + count).storeBytes(of: word, as: UInt64.self)
                            count += plain
                            i += plain
                            continue
                        }
                    }
                    let d = b[i]
                    if isPlain(d) {
                        base[count] = d
                        count += 1
                        i += 1
                    } else if d == 0x20, isPlain(b[i + 1]) {
                        base[count] = 0x20
                        base[count + 1] = b[i + 1]
                        count += 2
                        i += 2
                    } else {
                        break
                    }
                }
                out.count = count
            } else if isSpace(c) {
                out.pendingSpace = true
                i += 1
            } else if c == UInt8(ascii: "<"), i + 1 < n, let next = tagEnd(b, from: i) {
                let (end, blockish, rawTextEnd) = next
                if blockish { out.pendingSpace = true }
                i = end
                if let closing = rawTextEnd {
                    // <script>…</script>, <style>…</style>: drop the content.
                    i = skipRawText(b, from: i, closing: closing)
                }
            } else if c == UInt8(ascii: "&"), let (scalar, end) = entity(b, from: i) {
                if scalar == 0xA0 || scalar == 0x20 || scalar == 0x09 || scalar == 0x0A || scalar == 0x0D {
                    out.pendingSpace = true
                } else if scalar >= 0x20, scalar != 0x7F {
                    out.append(scalar: scalar)
                }
                i = end
            } else if c < 0x20 {
                i += 1  // a C0 control
            } else {
                out.append(c)
                i += 1
            }
        }
    }

    // MARK: - Output

    struct Output {
        let base: UnsafeMutablePointer<UInt8>
        /// Bytes that may be written (at most the buffer's size).
        let limit: Int
        var count = 0
        var pendingSpace = false
        /// DEL and C1 controls may be in the output (HTML's fast loop copies them): drop them
        /// or read them as Windows-1252 when making the string.
        var repairsControls = false

        init(base: UnsafeMutablePointer<UInt8>, limit: Int) {
            self.base = base
            self.limit = limit
        }

        /// True when no more than a few bytes are left: the caller stops reading input.
        var isFull: Bool { count + 5 > limit }

        /// Appends `c`, preceded by one space when white space was seen since the last byte.
        @inline(__always) mutating func append(_ c: UInt8) {
            guard count + 2 <= limit else { return }
            if pendingSpace {
                if count > 0 {
                    base[count] = 0x20
                    count += 1
                }
                pendingSpace = false
            }
            base[count] = c
            count += 1
        }

        mutating func append(scalar: UInt32) {
            let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            for unit in UTF8.encode(value)! { append(unit) }
        }

        func string(maxCharacters: Int?) -> String {
            var bytes = UnsafeBufferPointer(start: base, count: count)
            var repaired: [UInt8] = []
            // memchr first: the bytes are rarely there (0xC2 leads U+0080–U+00BF only).
            if repairsControls, count > 0, memchr(base, 0x7F, count) != nil || memchr(base, 0xC2, count) != nil {
                repaired = PlainText.withoutControls(bytes)
                bytes = repaired.withUnsafeBufferPointer { $0 }
            }
            let text = withExtendedLifetime(repaired) { String(decoding: bytes, as: UTF8.self) }
            // Fewer bytes than the maximum: certainly fewer characters.
            guard let maxCharacters, count > maxCharacters, text.count > maxCharacters else { return text }
            var cut = String(text.prefix(maxCharacters))
            while cut.last == " " { cut.removeLast() }
            return cut
        }
    }

    /// `bytes` without DEL, and with C1 controls read as Windows-1252 (or dropped).
    static func withoutControls(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            var dropped = false
            if c == 0x7F {
                dropped = true
                i += 1
            } else if c == 0xC2, i + 1 < bytes.count, bytes[i + 1] &- 0x80 < 0x20 {
                let scalar = windows1252[Int(bytes[i + 1] - 0x80)]
                if scalar == 0xFFFD {
                    dropped = true
                } else {
                    out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
                }
                i += 2
            } else {
                out.append(c)
                i += 1
            }
            // "a \u{7F} b" → "a b", not "a  b"; nothing left at the start or the end.
            if dropped, out.last == 0x20 || out.isEmpty, i < bytes.count, bytes[i] == 0x20 { i += 1 }
        }
        if out.last == 0x20 { out.removeLast() }
        return out
    }

    // MARK: - Markup

    /// When `b[start]` opens a tag, comment, declaration or processing instruction: the
    /// index after it, whether it separates words (block elements, `br`), and for `script`
    /// / `style` the name whose end tag closes its raw text.
    private static func tagEnd(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Bool, [UInt8]?)? {
        let n = b.count
        var j = start + 1
        let first = b[j]
        if first == UInt8(ascii: "!") {
            if j + 2 < n, b[j + 1] == UInt8(ascii: "-"), b[j + 2] == UInt8(ascii: "-") {
                var k = j + 3
                while k + 2 < n {
                    if b[k] == UInt8(ascii: "-"), b[k + 1] == UInt8(ascii: "-"), b[k + 2] == UInt8(ascii: ">") {
                        return (k + 3, false, nil)
                    }
                    k += 1
                }
                return (n, false, nil)
            }
            guard let close = firstIndex(of: UInt8(ascii: ">"), in: b, from: j) else { return (n, false, nil) }
            return (close + 1, false, nil)
        }
        if first == UInt8(ascii: "?") {
            guard let close = firstIndex(of: UInt8(ascii: ">"), in: b, from: j) else { return (n, false, nil) }
            return (close + 1, false, nil)
        }
        var closing = false
        if first == UInt8(ascii: "/") {
            closing = true
            j += 1
        }
        guard j < n, isAlpha(b[j]) else { return nil }
        let nameStart = j
        while j < n, isAlpha(b[j]) || (b[j] &- 48 < 10) { j += 1 }
        let name = UnsafeBufferPointer(rebasing: b[nameStart..<j])
        // Find the '>' outside quoted attribute values.
        var quote: UInt8 = 0
        while j < n {
            let c = b[j]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                break
            }
            j += 1
        }
        if j == n, quote != 0 {
            // A quote that never closes (`<a href=http://x/">`): the tag ends at the first '>'.
            j = firstIndex(of: UInt8(ascii: ">"), in: b, from: nameStart) ?? n
        }
        let end = min(j + 1, n)
        let raw: [UInt8]? = !closing && (equalsLower(name, "script") || equalsLower(name, "style")) ? name.map(lower) : nil
        return (end, isBlock(name), raw)
    }

    private static func skipRawText(_ b: UnsafeBufferPointer<UInt8>, from start: Int, closing name: [UInt8]) -> Int {
        var k = start
        let n = b.count
        while k + 1 + name.count < n {
            if b[k] == UInt8(ascii: "<"), b[k + 1] == UInt8(ascii: "/") {
                var matched = true
                for (offset, c) in name.enumerated() where lower(b[k + 2 + offset]) != c {
                    matched = false
                    break
                }
                if matched {
                    return firstIndex(of: UInt8(ascii: ">"), in: b, from: k).map { $0 + 1 } ?? n
                }
            }
            k += 1
        }
        return n
    }

    /// Block-level elements (and `br`, `img`) separate words; inline ones (`b`, `a`, `span` …)
    /// do not. Case-insensitive, without allocating.
    package static func isBlock(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 1:
            return lower(name[0]) == UInt8(ascii: "p")
        case 2:
            let a = lower(name[0])
            let b = lower(name[1])
            switch a {
            case UInt8(ascii: "b"): return b == UInt8(ascii: "r")
            case UInt8(ascii: "d"): return b == UInt8(ascii: "d") || b == UInt8(ascii: "l") || b == UInt8(ascii: "t")
            case UInt8(ascii: "h"): return b == UInt8(ascii: "r") || (b >= UInt8(ascii: "1") && b <= UInt8(ascii: "6"))
            case UInt8(ascii: "l"): return b == UInt8(ascii: "i")
            case UInt8(ascii: "o"), UInt8(ascii: "u"): return b == UInt8(ascii: "l")
            case UInt8(ascii: "t"): return b == UInt8(ascii: "d") || b == UInt8(ascii: "r") || b == UInt8(ascii: "h")
            default: return false
            }
        default:
            for word in blockWords where equalsLower(name, word) { return true }
            return false
        }
    }

    private static let blockWords: [StaticString] = [
        "div", "img", "pre", "nav", "form", "main", "table", "tbody", "thead", "tfoot", "aside", "figure", "footer",
        "header", "article", "section", "address", "fieldset", "blockquote", "figcaption",
    ]

    // MARK: - Entities

    /// Decodes `&name;`, `&#123;`, `&#x1F;` at `start`; nil when it is not a known reference
    /// (the `&` is then kept as text).
    static func entity(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> (UInt32, Int)? {
        let n = b.count
        var j = start + 1
        guard j < n else { return nil }
        if b[j] == UInt8(ascii: "#") {
            j += 1
            var hex = false
            if j < n, b[j] | 0x20 == UInt8(ascii: "x") {
                hex = true
                j += 1
            }
            var value: UInt32 = 0
            var digits = 0
            while j < n, digits < 8 {
                let c = b[j]
                let d: UInt32
                if c &- 48 < 10 {
                    d = UInt32(c &- 48)
                } else if hex, (c | 0x20) &- 97 < 6 {
                    d = UInt32((c | 0x20) &- 87)
                } else {
                    break
                }
                value = value * (hex ? 16 : 10) + d
                digits += 1
                j += 1
            }
            guard digits > 0 else { return nil }
            if j < n, b[j] == UInt8(ascii: ";") { j += 1 }
            if (0x80...0x9F).contains(value) { value = windows1252[Int(value - 0x80)] }
            if value == 0 || value > 0x10FFFF || (0xD800...0xDFFF).contains(value) { value = 0xFFFD }
            return (value, j)
        }
        let nameStart = j
        while j < n, j - nameStart < 32, isAlpha(b[j]) || b[j] &- 48 < 10 { j += 1 }
        guard j < n, j > nameStart, b[j] == UInt8(ascii: ";") else { return nil }
        guard let scalar = namedEntity(UnsafeBufferPointer(rebasing: b[nameStart..<j])) else { return nil }
        return (scalar, j + 1)
    }

    static func namedEntity(_ name: UnsafeBufferPointer<UInt8>) -> UInt32? {
        // The usual ones without a dictionary lookup.
        switch name.count {
        case 2:
            if name[1] == UInt8(ascii: "t") {
                if name[0] == UInt8(ascii: "l") { return 0x3C }
                if name[0] == UInt8(ascii: "g") { return 0x3E }
            }
        case 3:
            if name[0] == UInt8(ascii: "a"), name[1] == UInt8(ascii: "m"), name[2] == UInt8(ascii: "p") { return 0x26 }
        case 4:
            if name[0] == UInt8(ascii: "q"), name[1] == UInt8(ascii: "u"), name[2] == UInt8(ascii: "o"),
                name[3] == UInt8(ascii: "t")
            {
                return 0x22
            }
            if name[0] == UInt8(ascii: "n"), name[1] == UInt8(ascii: "b"), name[2] == UInt8(ascii: "s"),
                name[3] == UInt8(ascii: "p")
            {
                return 0xA0
            }
            if name[0] == UInt8(ascii: "a"), name[1] == UInt8(ascii: "p"), name[2] == UInt8(ascii: "o"),
                name[3] == UInt8(ascii: "s")
            {
                return 0x27
            }
        default:
            break
        }
        return namedEntities[String(decoding: name, as: UTF8.self)]
    }

    /// HTML named character references that feeds use: Latin-1, Latin Extended-A (Polish,
    /// Czech and neighbours), typography and a few symbols.
    static let namedEntities: [String: UInt32] = [
        "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "nbsp": 0xA0,
        "iexcl": 0xA1, "cent": 0xA2, "pound": 0xA3, "curren": 0xA4, "yen": 0xA5, "brvbar": 0xA6, "sect": 0xA7,
        "uml": 0xA8, "copy": 0xA9, "ordf": 0xAA, "laquo": 0xAB, "not": 0xAC, "shy": 0xAD, "reg": 0xAE,
        "macr": 0xAF, "deg": 0xB0, "plusmn": 0xB1, "sup2": 0xB2, "sup3": 0xB3, "acute": 0xB4, "micro": 0xB5,
        "para": 0xB6, "middot": 0xB7, "cedil": 0xB8, "sup1": 0xB9, "ordm": 0xBA, "raquo": 0xBB, "frac14": 0xBC,
        "frac12": 0xBD, "frac34": 0xBE, "iquest": 0xBF, "Agrave": 0xC0, "Aacute": 0xC1, "Acirc": 0xC2,
        "Atilde": 0xC3, "Auml": 0xC4, "Aring": 0xC5, "AElig": 0xC6, "Ccedil": 0xC7, "Egrave": 0xC8,
        "Eacute": 0xC9, "Ecirc": 0xCA, "Euml": 0xCB, "Igrave": 0xCC, "Iacute": 0xCD, "Icirc": 0xCE, "Iuml": 0xCF,
        "ETH": 0xD0, "Ntilde": 0xD1, "Ograve": 0xD2, "Oacute": 0xD3, "Ocirc": 0xD4, "Otilde": 0xD5, "Ouml": 0xD6,
        "times": 0xD7, "Oslash": 0xD8, "Ugrave": 0xD9, "Uacute": 0xDA, "Ucirc": 0xDB, "Uuml": 0xDC,
        "Yacute": 0xDD, "THORN": 0xDE, "szlig": 0xDF, "agrave": 0xE0, "aacute": 0xE1, "acirc": 0xE2,
        "atilde": 0xE3, "auml": 0xE4, "aring": 0xE5, "aelig": 0xE6, "ccedil": 0xE7, "egrave": 0xE8,
        "eacute": 0xE9, "ecirc": 0xEA, "euml": 0xEB, "igrave": 0xEC, "iacute": 0xED, "icirc": 0xEE, "iuml": 0xEF,
        "eth": 0xF0, "ntilde": 0xF1, "ograve": 0xF2, "oacute": 0xF3, "ocirc": 0xF4, "otilde": 0xF5, "ouml": 0xF6,
        "divide": 0xF7, "oslash": 0xF8, "ugrave": 0xF9, "uacute": 0xFA, "ucirc": 0xFB, "uuml": 0xFC,
        "yacute": 0xFD, "thorn": 0xFE, "yuml": 0xFF,
        // Latin Extended-A
        "Aogon": 0x104, "aogon": 0x105, "Cacute": 0x106, "cacute": 0x107, "Ccaron": 0x10C, "ccaron": 0x10D,
        "Dcaron": 0x10E, "dcaron": 0x10F, "Eogon": 0x118, "eogon": 0x119, "Ecaron": 0x11A, "ecaron": 0x11B,
        "Lstrok": 0x141, "lstrok": 0x142, "Nacute": 0x143, "nacute": 0x144, "Ncaron": 0x147, "ncaron": 0x148,
        "Odblac": 0x150, "odblac": 0x151, "OElig": 0x152, "oelig": 0x153, "Rcaron": 0x158, "rcaron": 0x159,
        "Sacute": 0x15A, "sacute": 0x15B, "Scaron": 0x160, "scaron": 0x161, "Tcaron": 0x164, "tcaron": 0x165,
        "Uring": 0x16E, "uring": 0x16F, "Udblac": 0x170, "udblac": 0x171, "Yuml": 0x178, "Zacute": 0x179,
        "zacute": 0x17A, "Zdot": 0x17B, "zdot": 0x17C, "Zcaron": 0x17D, "zcaron": 0x17E, "fnof": 0x192,
        // Typography and symbols
        "circ": 0x2C6, "tilde": 0x2DC, "ensp": 0x2002, "emsp": 0x2003, "thinsp": 0x2009, "zwnj": 0x200C,
        "zwj": 0x200D, "lrm": 0x200E, "rlm": 0x200F, "ndash": 0x2013, "mdash": 0x2014, "lsquo": 0x2018,
        "rsquo": 0x2019, "sbquo": 0x201A, "ldquo": 0x201C, "rdquo": 0x201D, "bdquo": 0x201E, "dagger": 0x2020,
        "Dagger": 0x2021, "bull": 0x2022, "hellip": 0x2026, "permil": 0x2030, "prime": 0x2032, "Prime": 0x2033,
        "lsaquo": 0x2039, "rsaquo": 0x203A, "euro": 0x20AC, "trade": 0x2122, "larr": 0x2190, "uarr": 0x2191,
        "rarr": 0x2192, "darr": 0x2193, "harr": 0x2194, "rArr": 0x21D2, "minus": 0x2212, "le": 0x2264,
        "ge": 0x2265, "ne": 0x2260, "infin": 0x221E,
        // The rest of HTML 4's set: Greek, mathematical and other symbols.
        "Alpha": 0x391, "Beta": 0x392, "Gamma": 0x393, "Delta": 0x394, "Epsilon": 0x395, "Zeta": 0x396,
        "Eta": 0x397, "Theta": 0x398, "Iota": 0x399, "Kappa": 0x39A, "Lambda": 0x39B, "Mu": 0x39C, "Nu": 0x39D,
        "Xi": 0x39E, "Omicron": 0x39F, "Pi": 0x3A0, "Rho": 0x3A1, "Sigma": 0x3A3, "Tau": 0x3A4, "Upsilon": 0x3A5,
        "Phi": 0x3A6, "Chi": 0x3A7, "Psi": 0x3A8, "Omega": 0x3A9, "alpha": 0x3B1, "beta": 0x3B2, "gamma": 0x3B3,
        "delta": 0x3B4, "epsilon": 0x3B5, "zeta": 0x3B6, "eta": 0x3B7, "theta": 0x3B8, "iota": 0x3B9,
        "kappa": 0x3BA, "lambda": 0x3BB, "mu": 0x3BC, "nu": 0x3BD, "xi": 0x3BE, "omicron": 0x3BF, "pi": 0x3C0,
        "rho": 0x3C1, "sigmaf": 0x3C2, "sigma": 0x3C3, "tau": 0x3C4, "upsilon": 0x3C5, "phi": 0x3C6, "chi": 0x3C7,
        "psi": 0x3C8, "omega": 0x3C9, "thetasym": 0x3D1, "upsih": 0x3D2, "piv": 0x3D6, "oline": 0x203E,
        "frasl": 0x2044, "weierp": 0x2118, "image": 0x2111, "real": 0x211C, "alefsym": 0x2135, "crarr": 0x21B5,
        "lArr": 0x21D0, "uArr": 0x21D1, "dArr": 0x21D3, "hArr": 0x21D4, "forall": 0x2200, "part": 0x2202,
        "exist": 0x2203, "empty": 0x2205, "nabla": 0x2207, "isin": 0x2208, "notin": 0x2209, "ni": 0x220B,
        "prod": 0x220F, "sum": 0x2211, "lowast": 0x2217, "radic": 0x221A, "prop": 0x221D, "ang": 0x2220,
        "and": 0x2227, "or": 0x2228, "cap": 0x2229, "cup": 0x222A, "int": 0x222B, "there4": 0x2234, "sim": 0x223C,
        "cong": 0x2245, "asymp": 0x2248, "equiv": 0x2261, "sub": 0x2282, "sup": 0x2283, "nsub": 0x2284,
        "sube": 0x2286, "supe": 0x2287, "oplus": 0x2295, "otimes": 0x2297, "perp": 0x22A5, "sdot": 0x22C5,
        "lceil": 0x2308, "rceil": 0x2309, "lfloor": 0x230A, "rfloor": 0x230B, "lang": 0x2329, "rang": 0x232A,
        "loz": 0x25CA, "spades": 0x2660, "clubs": 0x2663, "hearts": 0x2665, "diams": 0x2666,
    ]

    /// `&#128;`…`&#159;` mean the Windows-1252 characters in HTML.
    static let windows1252: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152,
        0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
        0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    // MARK: - Bytes

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0C
    }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 97 < 26 }
    /// Neither white space, a C0 control character, `&` nor `<`. (DEL and C1 controls are
    /// plain here: `Output.string` deals with them, after the fast loop.)
    @inline(__always) static func isPlain(_ c: UInt8) -> Bool {
        c > 0x3C || (c > 0x20 && c != UInt8(ascii: "&") && c != UInt8(ascii: "<"))
    }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { isAlpha(c) ? c | 0x20 : c }

    /// How many of the 8 bytes of `word` (the first in its low byte) `html`'s run loop would
    /// copy one by one: those before the first control, `&` or `<`, or space not followed by
    /// a plain byte of the word (one that is last, or before another space or one of those).
    @inline(__always) static func plainPrefix(_ word: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        // 0x80 in exactly the bytes of `x` that are zero.
        @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 { ~(((x & low7) &+ low7) | x | low7) }
        let special = zeroBytes(word ^ (ones &* 0x26)) | zeroBytes(word ^ (ones &* 0x3C))
        let spaces = zeroBytes(word ^ (ones &* 0x20))
        // Bytes below 0x20: the lowest flag is exact (a borrow only flags bytes above it).
        let control = (word &- ones &* 0x20) & ~word & highs
        let notPlain = special | control | spaces
        let lastByte: UInt64 = 0x80 << 56
        let stops = special | control | (spaces & ((notPlain >> 8) | lastByte))
        return stops == 0 ? 8 : stops.trailingZeroBitCount >> 3
    }

    static func equalsLower(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for (a, c) in zip(bytes, w) where lower(a) != c { return false }
        return true
    }

    private static func firstIndex(of byte: UInt8, in b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var k = start
        while k < b.count {
            if b[k] == byte { return k }
            k += 1
        }
        return nil
    }
}
