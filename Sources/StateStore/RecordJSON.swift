import Articles
import Matching

/// The JSON of stored records, written and read by hand: Foundation's coders cost more
/// than the SQLite work around them (one article and one `matched` list per
/// notification). The shape is what `JSONEncoder` writes, so either reads the other's.
enum RecordJSON {
    // MARK: Writing

    /// UTF-8 bytes, bound as text as they are (no String in between).
    static func encode(_ record: ArticleRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + record.title.utf8.count + record.summary.utf8.count)
        out.append(UInt8(ascii: "{"))
        field("feed", &out, first: true)
        string(record.feed, &out)
        field("id", &out)
        string(record.id, &out)
        field("revision", &out)
        integer(record.revision, &out)
        field("title", &out)
        string(record.title, &out)
        if let link = record.link {
            field("link", &out)
            string(link, &out)
        }
        if let published = record.published {
            field("published", &out)
            double(published, &out)
        }
        if let updated = record.updated {
            field("updated", &out)
            double(updated, &out)
        }
        field("severity", &out)
        integer(record.severity, &out)
        field("kind", &out)
        string(record.kind, &out)
        field("products", &out)
        out.append(UInt8(ascii: "["))
        for (index, product) in record.products.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            field("id", &out, first: true)
            string(product.id, &out)
            if let affected = product.affected {
                field("affected", &out)
                string(affected, &out)
            }
            if let fixed = product.fixed {
                field("fixed", &out)
                string(fixed, &out)
            }
            field("resolved", &out)
            out.append(contentsOf: (product.resolved ? "true" : "false").utf8)
            if let resolution = product.resolution {
                field("resolution", &out)
                string(resolution, &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        field("categories", &out)
        out.append(UInt8(ascii: "["))
        for (index, category) in record.categories.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(category, &out)
        }
        out.append(UInt8(ascii: "]"))
        field("summary", &out)
        string(record.summary, &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func encode(_ matched: [MatchedProduct]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, product) in matched.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            field("product", &out, first: true)
            string(product.product, &out)
            if let version = product.version {
                field("version", &out)
                string(version, &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    private static func field(_ name: StaticString, _ out: inout [UInt8], first: Bool = false) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: "\":".utf8)
    }

    private static func string(_ text: String, _ out: inout [UInt8]) {
        JSONString.append(text, to: &out)
    }


    private static func integer(_ value: Int, _ out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// Seconds since 1970 keep their full precision: `description` round-trips a Double.
    private static func double(_ value: Double, _ out: inout [UInt8]) {
        out.append(contentsOf: value.description.utf8)
    }

    // MARK: Reading

    struct Malformed: Error {}

    static func decodeArticle(_ text: String) throws(Malformed) -> ArticleRecord {
        var text = text
        return try text.withUTF8 { bytes in Result { () throws(Malformed) in try article(bytes) } }.get()
    }

    private static func article(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> ArticleRecord {
        do {
            var reader = Reader(bytes: bytes)
            var record = ArticleRecord.empty
            try reader.object { key, reader throws(Malformed) in
                switch key {
                case "feed": record.feed = try reader.string()
                case "id": record.id = try reader.string()
                case "revision": record.revision = Int(try reader.number())
                case "title": record.title = try reader.string()
                case "link": record.link = try reader.optionalString()
                case "published": record.published = try reader.optionalNumber()
                case "updated": record.updated = try reader.optionalNumber()
                case "severity": record.severity = Int(try reader.number())
                case "kind": record.kind = try reader.string()
                case "products":
                    try reader.array { reader throws(Malformed) in
                        var product = ArticleRecord.Product(id: "", affected: nil, fixed: nil, resolved: false, resolution: nil)
                        try reader.object { key, reader throws(Malformed) in
                            switch key {
                            case "id": product.id = try reader.string()
                            case "affected": product.affected = try reader.optionalString()
                            case "fixed": product.fixed = try reader.optionalString()
                            case "resolved": product.resolved = try reader.bool()
                            case "resolution": product.resolution = try reader.optionalString()
                            default: try reader.skip()
                            }
                        }
                        record.products.append(product)
                    }
                case "categories":
                    try reader.array { reader throws(Malformed) in record.categories.append(try reader.string()) }
                case "summary": record.summary = try reader.string()
                default: try reader.skip()
                }
            }
            return record
        }
    }

    static func decodeMatched(_ text: String) throws(Malformed) -> [MatchedProduct] {
        var text = text
        return try text.withUTF8 { bytes in Result { () throws(Malformed) in try matched(bytes) } }.get()
    }

    private static func matched(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> [MatchedProduct] {
        do {
            var reader = Reader(bytes: bytes)
            var matched: [MatchedProduct] = []
            try reader.array { reader throws(Malformed) in
                var product = MatchedProduct(product: "", version: nil)
                try reader.object { key, reader throws(Malformed) in
                    switch key {
                    case "product": product.product = try reader.string()
                    case "version": product.version = try reader.optionalString()
                    default: try reader.skip()
                    }
                }
                matched.append(product)
            }
            return matched
        }
    }

    /// A reader for the JSON subset records use (all of JSON but exotic number forms).
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(Malformed) {
            skipSpace()
            guard position < bytes.count, bytes[position] == byte else { throw Malformed() }
            position += 1
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return position < bytes.count ? bytes[position] : nil
        }

        mutating func object(_ member: (String, inout Reader) throws(Malformed) -> Void) throws(Malformed) {
            try expect(UInt8(ascii: "{"))
            if peek() == UInt8(ascii: "}") {
                position += 1
                return
            }
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                try member(key, &self)
                guard let next = peek() else { throw Malformed() }
                position += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw Malformed() }
            }
        }

        mutating func array(_ element: (inout Reader) throws(Malformed) -> Void) throws(Malformed) {
            try expect(UInt8(ascii: "["))
            if peek() == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                try element(&self)
                guard let next = peek() else { throw Malformed() }
                position += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw Malformed() }
            }
        }

        mutating func isNull() -> Bool {
            guard peek() == UInt8(ascii: "n"), position + 4 <= bytes.count else { return false }
            position += 4
            return true
        }

        mutating func optionalString() throws(Malformed) -> String? {
            isNull() ? nil : try string()
        }

        mutating func optionalNumber() throws(Malformed) -> Double? {
            isNull() ? nil : try number()
        }

        mutating func bool() throws(Malformed) -> Bool {
            switch peek() {
            case UInt8(ascii: "t"):
                position += 4
                return true
            case UInt8(ascii: "f"):
                position += 5
                return false
            default: throw Malformed()
            }
        }

        mutating func number() throws(Malformed) -> Double {
            skipSpace()
            let start = position
            while position < bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
                    || [UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")]
                        .contains(bytes[position])
            {
                position += 1
            }
            guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
            else { throw Malformed() }
            return value
        }

        mutating func string() throws(Malformed) -> String {
            try expect(UInt8(ascii: "\""))
            let start = position
            // Fast path: no escapes.
            while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\") {
                position += 1
            }
            guard position < bytes.count else { throw Malformed() }
            if bytes[position] == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            var out = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { throw Malformed() }
                    let escaped = bytes[position]
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar), position + 6 <= bytes.count,
                            bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        {
                            position += 2
                            let low = try hex4()
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                    default: out.append(escaped)  // \" \\ \/
                    }
                default:
                    out.append(byte)
                }
            }
            throw Malformed()
        }

        private mutating func hex4() throws(Malformed) -> UInt32 {
            guard position + 4 <= bytes.count else { throw Malformed() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                position += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Malformed()
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        /// Skips one value of any kind.
        mutating func skip() throws(Malformed) {
            switch peek() {
            case UInt8(ascii: "{"): try object { _, reader throws(Malformed) in try reader.skip() }
            case UInt8(ascii: "["): try array { reader throws(Malformed) in try reader.skip() }
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
            case UInt8(ascii: "n"): _ = isNull()
            case .some: _ = try number()
            case nil: throw Malformed()
            }
        }
    }
}

extension RecordJSON {
    /// An article record as a store read it: a record that cannot be read is the state's
    /// fault, said as such.
    static func storedArticle(_ text: String) throws(StateStoreError) -> ArticleRecord {
        do {
            return try decodeArticle(text)
        } catch {
            throw StateStoreError("the state database holds an unreadable article record: \(text.prefix(80))")
        }
    }

    /// A notification's matched products as a store read them.
    static func storedMatched(_ text: String) throws(StateStoreError) -> [MatchedProduct] {
        do {
            return try decodeMatched(text)
        } catch {
            throw StateStoreError("the state database holds an unreadable notification record: \(text.prefix(80))")
        }
    }
}
