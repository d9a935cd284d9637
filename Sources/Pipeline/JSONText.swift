public import Articles
public import Foundation

/// Hand-written JSON for outputs whose key order SPEC 7 shows, streamed without
/// building the whole document.
public enum JSONText {
    public static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var bytes: [UInt8] = []
        appendString(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `value` as a JSON string, copying runs of plain bytes at once.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { utf8 in
            out.reserveCapacity(out.count + utf8.count + 2)
            out.append(0x22)
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                let escape: [UInt8]?
                switch byte {
                case 0x22: escape = [0x5C, 0x22]
                case 0x5C: escape = [0x5C, 0x5C]
                case 0x0A: escape = [0x5C, 0x6E]
                case 0x0D: escape = [0x5C, 0x72]
                case 0x09: escape = [0x5C, 0x74]
                case 0..<0x20: escape = Array("\\u00".utf8) + hexDigit(byte >> 4) + hexDigit(byte & 0xF)
                // U+2028 / U+2029 (E2 80 A8/A9) break JavaScript parsers.
                case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                    escape = Array("\\u202".utf8) + [utf8[index + 2] == 0xA8 ? 0x38 : 0x39]
                default: escape = nil
                }
                guard let escape else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                out.append(contentsOf: escape)
                runStart = index + 1
                if byte == 0xE2 { runStart = index + 3 }
            }
            if runStart < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
            out.append(0x22)
        }
    }

    private static func hexDigit(_ value: UInt8) -> [UInt8] {
        [value < 10 ? 0x30 + value : 0x61 + value - 10]
    }

    public static func date(_ date: Date?) -> String {
        date.map { string(Timestamp.rfc3339($0)) } ?? "null"
    }

    public static func int(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    /// One article as SPEC 7.1 shows it.
    public static func article(_ article: Article) -> String {
        var bytes: [UInt8] = []
        appendArticle(article, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func appendArticle(_ article: Article, to out: inout [UInt8]) {
        func raw(_ text: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func text(_ value: String?) {
            if let value { appendString(value, to: &out) } else { raw("null") }
        }
        func number(_ value: Int) { out.append(contentsOf: String(value).utf8) }
        func date(_ value: Date?) { text(value.map(Timestamp.rfc3339)) }
        raw("{\"key\": ")
        text(article.key)
        raw(", \"id\": ")
        text(article.id)
        raw(", \"revision\": ")
        number(article.revision)
        raw(", \"title\": ")
        text(article.title)
        raw(", \"link\": ")
        text(article.link)
        raw(", \"published\": ")
        date(article.published)
        raw(", \"updated\": ")
        date(article.updated)
        raw(", \"severity\": ")
        number(article.severity)
        raw(", \"kind\": ")
        text(article.kind.rawValue)
        raw(", \"products\": [")
        for (index, product) in article.products.enumerated() {
            if index > 0 { raw(", ") }
            raw("{\"id\": ")
            text(product.id)
            raw(", \"affected\": ")
            text(product.affected)
            raw(", \"fixed\": ")
            text(product.fixed)
            raw("}")
        }
        raw("], \"categories\": [")
        for (index, category) in article.categories.enumerated() {
            if index > 0 { raw(", ") }
            text(category)
        }
        raw("], \"summary\": ")
        text(article.summary)
        raw(article.isUnmatched ? ", \"unmatched\": true}" : ", \"unmatched\": false}")
    }
}
