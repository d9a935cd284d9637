public import Articles
public import Foundation

/// Hand-written JSON for outputs whose key order SPEC 7 shows, streamed without
/// building the whole document.
public enum JSONText {
    public static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var bytes = ByteBuffer()
        JSONString.append(value, to: &bytes)
        return bytes.string
    }

    public static func date(_ date: Date?) -> String {
        date.map { string(CivilTime.rfc3339($0)) } ?? "null"
    }

    public static func int(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    /// `String(value)`'s digits, written in place.
    static func appendInt(_ value: Int, to out: inout ByteBuffer) {
        guard value >= 0 else { return out.append(contentsOf: String(value)) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(0x30 + rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// One article as SPEC 7.1 shows it.
    public static func article(_ article: Article) -> String {
        var bytes = ByteBuffer()
        appendArticle(article, to: &bytes)
        return bytes.string
    }

    static func appendArticle(_ article: Article, to out: inout ByteBuffer) {
        func raw(_ text: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func text(_ value: String?) {
            if let value { JSONString.append(value, to: &out) } else { raw("null") }
        }
        func number(_ value: Int) { appendInt(value, to: &out) }
        func date(_ value: Date?) {
            guard let value else { return raw("null") }
            out.append(0x22)
            CivilTime.writeRFC3339(value, to: out.reserve(20))
            out.append(0x22)
        }
        // The key, `feed/id`, without making it: escaping goes byte by byte (U+2028's three
        // bytes lie within one part), so the parts escaped one after the other are the same.
        raw("{\"key\": \"")
        var feed = article.feed, id = article.id
        feed.withUTF8 { JSONString.appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "/"))
        id.withUTF8 { JSONString.appendEscaped($0, to: &out) }
        out.append(0x22)
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
            // CVRF / CSAF identifiers, for the catalog's `cpe` and `purl` (SPEC 3).
            func list(_ key: StaticString, _ values: [String]) {
                guard !values.isEmpty else { return }
                raw(key)
                for (index, value) in values.enumerated() {
                    if index > 0 { raw(", ") }
                    text(value)
                }
                raw("]")
            }
            list(", \"cpe\": [", product.cpes)
            list(", \"purl\": [", product.purls)
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
