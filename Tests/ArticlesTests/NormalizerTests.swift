import Foundation
import Testing

@testable import Articles

@Suite struct NormalizerTests {
    let catalog = Catalog([
        CatalogProduct(id: "erp-ln", name: "ERP LN", aliases: ["LN", "Baan LN"]),
        CatalogProduct(id: "erp-m3", name: "ERP M3"),
    ])

    @Test func resolvesIdsNamesAndAliasesIgnoringCaseAndSpaces() {
        #expect(catalog.product(named: "erp-ln")?.id == "erp-ln")
        #expect(catalog.product(named: "  baan   ln ")?.id == "erp-ln")
        #expect(catalog.product(named: "Erp M3")?.id == "erp-m3")
        #expect(catalog.product(named: "erp-x") == nil)
    }

    @Test func categoryWithTrailingVersionMeansThatVersion() {
        let normalizer = ArticleNormalizer(feed: "f", catalog: catalog)
        var warnings: [FeedWarning] = []
        let item = FeedItem(
            line: 3, id: "a", severity: 2, kind: .patch,
            products: [ProductReference(name: "ERP LN 10.7", origin: .category)])
        let article = normalizer.article(from: item, warnings: &warnings)
        #expect(article.products.map(\.id) == ["erp-ln"])
        #expect(article.products[0].affected == "=10.7")
        #expect(article.products[0].range.contains(Version("10.7.0")!))
        #expect(!article.products[0].range.contains(Version("10.8")!))
        #expect(warnings.isEmpty)
    }

    @Test func defaultsApplyFieldByField() {
        let normalizer = ArticleNormalizer(
            feed: "kb", defaults: FeedDefaults(product: "LN", kind: .servicePack, severity: 3), catalog: catalog)
        var warnings: [FeedWarning] = []
        let article = normalizer.article(from: FeedItem(line: 1, id: "x", severity: 1), warnings: &warnings)
        #expect(article.severity == 1)
        #expect(article.kind == .servicePack)
        #expect(article.products.map(\.id) == ["erp-ln"])
        #expect(article.key == "kb/x")
        #expect(warnings.isEmpty)
    }

    @Test func withoutValueOrDefaultKindIsArticleAndSeverityFourWithAWarning() {
        let normalizer = ArticleNormalizer(feed: "kb", catalog: catalog)
        var warnings: [FeedWarning] = []
        let article = normalizer.article(from: FeedItem(line: 7, id: "x"), warnings: &warnings)
        #expect(article.kind == .article)
        #expect(article.severity == 4)
        #expect(warnings.count == 1)
        #expect(warnings[0].description.hasPrefix("line 7: "))
    }

    @Test func unknownProductLeavesTheArticleUnmatched() {
        let normalizer = ArticleNormalizer(feed: "kb", catalog: catalog)
        var warnings: [FeedWarning] = []
        let article = normalizer.article(
            from: FeedItem(line: 2, id: "x", severity: 1, kind: .patch, products: [ProductReference(name: "erp-x")]),
            warnings: &warnings)
        #expect(article.isUnmatched)
        #expect(warnings.contains { $0.message.contains("'erp-x'") })
    }

    @Test func invalidRangeSkipsThatProductOnly() {
        let normalizer = ArticleNormalizer(feed: "kb", catalog: catalog)
        var warnings: [FeedWarning] = []
        let article = normalizer.article(
            from: FeedItem(
                line: 9, id: "x", severity: 1, kind: .patch,
                products: [ProductReference(name: "erp-ln", affected: ">=10|banana"), ProductReference(name: "erp-m3")]),
            warnings: &warnings)
        #expect(article.products.map(\.id) == ["erp-m3"])
        #expect(warnings.count == 1)
        #expect(warnings[0].description.contains("line 9"))
        #expect(warnings[0].description.contains("invalid affected range"))
    }

    @Test func withoutACatalogProductsStayAsFound() {
        let normalizer = ArticleNormalizer(feed: "kb", catalog: nil)
        var warnings: [FeedWarning] = []
        let article = normalizer.article(
            from: FeedItem(line: 1, id: "x", severity: 1, kind: .patch, products: [ProductReference(name: "Baan LN")]),
            warnings: &warnings)
        #expect(article.products.map(\.id) == ["Baan LN"])
        #expect(!article.isUnmatched)
    }

    @Test func sha256AndTimestamps() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(CivilTime.rfc3339(Date(timeIntervalSince1970: 1_795_512_600)) == "2026-11-24T09:30:00Z")
        let mac = Digest.hmacSHA256(key: Array("key".utf8), message: Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }
}
