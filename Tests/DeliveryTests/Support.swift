import Articles
import Configuration
@testable import Delivery
import Foundation
import Matching
import Testing

/// Python's `email` package as an independent MIME oracle.
enum Oracle {
    static let python: String = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

    struct Parsed: Decodable {
        struct Part: Decodable {
            var type: String
            var charset: String?
            var cte: String?
            var body: String
            var defects: [String]
        }
        var defects: [String]
        var subject: String
        var headers: [String: [String]]
        var headerNames: [String]
        var contentType: String
        var parts: [Part]
        var maxHeaderLine: Int
        var maxBodyLine: Int
        var maxEncodedWord: Int
        var nonASCIIHeader: Bool

        var plain: String { parts.first { $0.type == "text/plain" }?.body ?? "" }
        var html: String { parts.first { $0.type == "text/html" }?.body ?? "" }
        func header(_ name: String) -> [String] { headers[name] ?? [] }
        var allDefects: [String] { defects + parts.flatMap(\.defects) }
    }

    static let parseScript = #"""
import sys, json, re
from email import policy
from email.parser import BytesParser
raw = sys.stdin.buffer.read()
msg = BytesParser(policy=policy.default).parsebytes(raw)
def defects(m):
    return [type(d).__name__ + ": " + str(d) for d in m.defects]
names = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Auto-Submitted", "X-Critfix-Severity",
         "X-Critfix-Article", "X-Critfix-Customer", "Importance", "X-Priority", "In-Reply-To", "References", "Bcc", "Cc"]
headers = {n: [str(v) for v in msg.get_all(n, [])] for n in names}
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                  "cte": part.get("content-transfer-encoding"), "body": part.get_content(), "defects": defects(part)})
head, _, body = raw.partition(b"\n\n")
words = re.findall(rb"=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=", head)
print(json.dumps({
    "defects": defects(msg), "subject": str(msg["subject"]), "headers": headers, "headerNames": list(msg.keys()),
    "contentType": msg.get_content_type(), "parts": parts,
    "maxHeaderLine": max(len(l) for l in head.split(b"\n")),
    "maxBodyLine": max(len(l) for l in body.split(b"\n")),
    "maxEncodedWord": max([len(w) for w in words] or [0]),
    "nonASCIIHeader": any(b > 127 for b in head),
}))
"""#

    /// Runs `script` with `input` on stdin; returns stdout.
    static func run(_ script: String, arguments: [String] = [], input: [UInt8] = []) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.hasPrefix("/") ? python : "/usr/bin/env")
        process.arguments = (python.hasPrefix("/") ? [] : [python]) + ["-c", script] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleError(message: String(decoding: errors, as: UTF8.self))
        }
        return output
    }

    static func parse(_ email: RenderedEmail) throws -> Parsed {
        try JSONDecoder().decode(Parsed.self, from: run(parseScript, input: email.bytes))
    }

    struct OracleError: Error, CustomStringConvertible {
        var message: String
        var description: String { "python failed: \(message)" }
    }
}

enum Fixtures {
    static let catalog = Catalog([
        CatalogProduct(id: "erp-ln", name: "ERP LN", aliases: ["LN"]),
        CatalogProduct(id: "erp-m3", name: "ERP M3"),
    ])

    /// 2026-11-24 09:30:00 UTC.
    static let published = Date(timeIntervalSince1970: 1_795_512_600)

    static func product(_ id: String = "erp-ln", affected: String? = ">=10.5, <10.7.2", fixed: String? = "10.7.2")
        -> AffectedProduct
    {
        AffectedProduct(
            id: id, affected: affected, range: (try? VersionRange(parsing: affected ?? "")) ?? .every, fixed: fixed,
            isResolved: true)
    }

    static func article(
        id: String = "KB2245871", title: String = "KB 2245871: Payroll run fails after the 2026 tax table update",
        severity: Int = 1, kind: Kind = .criticalFix, revision: Int = 1,
        link: String? = "https://support.example.com/kb/2245871", products: [AffectedProduct] = [product()],
        summary: String = "The payroll run stops with error PR-1045 when the 2026 tax tables are loaded."
    ) -> Article {
        Article(
            feed: "erp-ln-kb", id: id, revision: revision, title: title, link: link, published: published,
            updated: nil, severity: severity, kind: kind, products: products, categories: [], summary: summary)
    }

    static func customer(language: Language = .pl, id: String = "ACME-001") -> Customer {
        Customer(
            id: id, name: "ACME Manufacturing Sp. z o.o.", plan: .elite, language: language, minSeverity: 4,
            products: [RegisteredProduct(product: "erp-ln", version: Version("10.7.1")), RegisteredProduct(product: "erp-m3")],
            contacts: [Contact(email: "it-ops@acme.example", name: "Zespół IT")])
    }

    static func notification(_ article: Article, customer: Customer) -> Matching.Notification {
        Matching.Notification(
            customer: customer, article: article,
            matched: article.products.map { MatchedProduct(product: $0.id, version: $0.id == "erp-ln" ? "10.7.1" : nil) })
    }

    static func request(
        _ articles: [Article], customer: Customer = customer(), digest: Bool = false, inReplyTo: String? = nil,
        contact: Contact? = nil, messageID: String = "<d-42.1795512662@critfix.support.example.com>"
    ) -> EmailRequest {
        EmailRequest(
            messageID: messageID, inReplyTo: inReplyTo, date: published.addingTimeInterval(62),
            from: Mailbox(name: "Xtreme Support", address: "xtreme-noreply@support.example.com"),
            contact: contact ?? customer.contacts[0], customer: customer,
            notifications: articles.map { notification($0, customer: customer) }, isDigest: digest)
    }

    static let renderer: EmailRenderer = try! EmailRenderer(templatesDirectory: nil, catalog: catalog)
}

/// Checks every message must pass.
func expectWellFormed(_ parsed: Oracle.Parsed, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(parsed.allDefects == [], sourceLocation: sourceLocation)
    #expect(parsed.contentType == "multipart/alternative", sourceLocation: sourceLocation)
    #expect(parsed.parts.map(\.type) == ["text/plain", "text/html"], sourceLocation: sourceLocation)
    #expect(parsed.parts.allSatisfy { $0.charset == "utf-8" }, sourceLocation: sourceLocation)
    #expect(parsed.maxHeaderLine <= 78, sourceLocation: sourceLocation)
    #expect(parsed.maxBodyLine <= 76, sourceLocation: sourceLocation)
    #expect(parsed.maxEncodedWord <= 75, sourceLocation: sourceLocation)
    #expect(!parsed.nonASCIIHeader, sourceLocation: sourceLocation)
    for name in ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Auto-Submitted", "X-Critfix-Severity",
        "X-Critfix-Customer"]
    {
        #expect(parsed.header(name).count == 1, "\(name)", sourceLocation: sourceLocation)
    }
    #expect(parsed.header("MIME-Version") == ["1.0"], sourceLocation: sourceLocation)
    #expect(parsed.header("Auto-Submitted") == ["auto-generated"], sourceLocation: sourceLocation)
    #expect(parsed.header("Bcc").isEmpty && parsed.header("Cc").isEmpty, sourceLocation: sourceLocation)
}
