public import Articles
public import Foundation

/// Hand-written JSON for outputs whose key order SPEC 7 shows, streamed without
/// building the whole document.
public enum JSONText {
    public static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    public static func date(_ date: Date?) -> String {
        date.map { string(Timestamp.rfc3339($0)) } ?? "null"
    }

    public static func int(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    /// One article as SPEC 7.1 shows it.
    public static func article(_ article: Article) -> String {
        let products = article.products.map { product in
            "{\"id\": \(string(product.id)), \"affected\": \(string(product.affected)), \"fixed\": \(string(product.fixed))}"
        }
        return """
            {"key": \(string(article.key)), "id": \(string(article.id)), "revision": \(article.revision), \
            "title": \(string(article.title)), "link": \(string(article.link)), \
            "published": \(date(article.published)), "updated": \(date(article.updated)), \
            "severity": \(article.severity), "kind": \(string(article.kind.rawValue)), \
            "products": [\(products.joined(separator: ", "))], \
            "categories": [\(article.categories.map { string($0) }.joined(separator: ", "))], \
            "summary": \(string(article.summary)), "unmatched": \(article.isUnmatched)}
            """
    }
}
