import Articles
import FeedParsing
import Foundation
import Testing

/// Every CVRF and CSAF document of Tests/Fixtures/realworld — advisories exactly as Cisco,
/// Red Hat, SUSE, Fortinet and the OASIS CSAF TC published them — against the article
/// SPEC 2.3 / 2.5 describe. The expected values are in expected.json, written by
/// Scripts/advisory-reference, an independent reader (Python, ElementTree and json) that
/// shares no code with critfix.
@Suite struct RealWorldAdvisoryTests {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.path + "/Fixtures/realworld"
    }()

    struct Expected: Decodable, Sendable {
        struct Product: Decodable, Sendable {
            var id: String
            var affected: String?
            var fixed: String?
            var cpe: [String]
            var purl: [String]
        }

        var id: String
        var revision: Int
        var title: String
        var link: String?
        var published: String?
        var updated: String?
        var severity: Int
        var kind: String
        var products: [Product]
        var summary: String
    }

    static let expected: [String: Expected] = {
        let data = FileManager.default.contents(atPath: directory + "/expected.json") ?? Data()
        return (try? JSONDecoder().decode([String: Expected].self, from: data)) ?? [:]
    }()

    static let files: [String] = expected.keys.sorted()

    @Test func everyFixtureHasAnExpectation() throws {
        let enumerator = FileManager.default.enumerator(atPath: Self.directory)
        var documents: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".xml") || (path.hasSuffix(".json") && path != "expected.json") { documents.append(path) }
        }
        #expect(documents.count == 114)
        #expect(documents.sorted() == Self.files)
    }

    @Test(arguments: files)
    func documentParsesToItsArticle(_ file: String) throws {
        let expected = try #require(Self.expected[file])
        let bytes = try #require(FileManager.default.contents(atPath: Self.directory + "/" + file))
        let (items, result) = parse(Array(bytes), chunkSize: 16 << 10)
        #expect(result.error == nil)
        #expect(result.format == (file.hasPrefix("csaf/") ? .csaf : .cvrf))
        let item = try #require(items.count == 1 ? items.first : nil)
        #expect(item.id == expected.id)
        #expect(item.revision == expected.revision)
        #expect(item.title == expected.title)
        #expect(item.link == expected.link)
        #expect(iso(item.published) == expected.published)
        #expect(iso(item.updated) == expected.updated)
        #expect((item.severity ?? 4) == expected.severity)
        #expect(item.kind?.rawValue == expected.kind)
        #expect(item.summary == expected.summary)
        #expect(item.products.map(\.name) == expected.products.map(\.id))
        for (product, want) in zip(item.products, expected.products) {
            #expect(product.affected == want.affected, "\(product.name): affected")
            #expect(product.fixed == want.fixed, "\(product.name): fixed")
            #expect(product.cpes == want.cpe, "\(product.name): cpe")
            #expect(product.purls == want.purl, "\(product.name): purl")
        }
    }
}
