import Articles
import Configuration
import Foundation
import TestSupport
import Testing

@testable import Matching

/// SPEC 5, rule by rule.
@Suite struct MatcherTests {
    let catalog = Catalog([
        CatalogProduct(id: "erp-ln", name: "ERP LN", aliases: ["LN"]),
        CatalogProduct(id: "erp-m3", name: "ERP M3"),
        CatalogProduct(id: "bi", name: "BI Dashboards", criticalNotifications: false),
    ])

    func article(
        severity: Int = 1, kind: Kind = .criticalFix, products: [(String, String?)] = [("erp-ln", ">=10.5, <10.7.2")],
        revision: Int = 1, published: Double = 1000
    ) -> Article {
        Article(
            feed: "kb", id: "A1", revision: revision, title: "t", link: nil, published: Date(timeIntervalSince1970: published),
            updated: nil, severity: severity, kind: kind,
            products: products.map { id, affected in
                AffectedProduct(
                    id: id, affected: affected, range: try! VersionRange(parsing: affected ?? ""), fixed: nil,
                    isResolved: catalog.product(named: id) != nil)
            }, categories: [], summary: "")
    }

    func customer(
        _ id: String, plan: Plan = .elite, status: CustomerStatus = .active, minSeverity: Int = 4,
        kinds: Set<Kind> = Set(Kind.allCases), products: [(String, String?)] = [("erp-ln", "10.7.1")]
    ) -> Customer {
        Customer(
            id: id, plan: plan, status: status, minSeverity: minSeverity, kinds: kinds,
            products: products.map { RegisteredProduct(product: $0.0, version: $0.1.flatMap(Version.init)) },
            contacts: [Contact(email: "\(id.lowercased())@example.com")])
    }

    func matched(_ customers: [Customer], _ article: Article) -> [String] {
        let matcher = Matcher(registrations: Registrations(customers: customers), catalog: catalog)
        return matcher.matches(article).map { matcher.customers[$0.customer].id }
    }

    @Test func rule1OnlyActiveCustomers() {
        let customers = [customer("A"), customer("P", status: .pending), customer("S", status: .suspended)]
        #expect(matched(customers, article()) == ["A"])
    }

    @Test func rule2KindAndSeverity() {
        let customers = [
            customer("ALL"),
            customer("PATCHES", kinds: [.patch]),
            customer("CRIT", minSeverity: 1),
            customer("SEV2", minSeverity: 2),
        ]
        #expect(matched(customers, article(severity: 2, kind: .criticalFix)) == ["ALL", "SEV2"])
        #expect(matched(customers, article(severity: 1, kind: .patch)) == ["ALL", "PATCHES", "CRIT", "SEV2"])
        #expect(matched(customers, article(severity: 4, kind: .patch)) == ["ALL", "PATCHES"])
    }

    @Test func rule3ProductAndInstalledVersion() {
        let customers = [
            customer("IN", products: [("erp-ln", "10.7.1")]),
            customer("OUT", products: [("erp-ln", "10.7.2")]),
            customer("NOVERSION", products: [("erp-ln", nil)]),
            customer("OTHER", products: [("erp-m3", "13.4")]),
            customer("TEN-TEN", products: [("erp-ln", "10.10")]),
        ]
        #expect(matched(customers, article()) == ["IN", "NOVERSION"])
        #expect(matched(customers, article(products: [("erp-ln", nil)])) == ["IN", "OUT", "NOVERSION", "TEN-TEN"])
        #expect(matched(customers, article(products: [("erp-ln", "=10.10")])) == ["NOVERSION", "TEN-TEN"])
    }

    @Test func rule3UnresolvedProductMatchesNobody() {
        let customers = [customer("A", products: [("erp-ln", nil)])]
        #expect(matched(customers, article(products: [("erp-x", nil)])).isEmpty)
    }

    @Test func rule4BarredProductDecidedPerProduct() {
        let customers = [
            customer("BI", products: [("bi", nil)]),
            customer("BOTH", products: [("bi", nil), ("erp-m3", nil)]),
        ]
        #expect(matched(customers, article(kind: .criticalFix, products: [("bi", nil)])).isEmpty)
        #expect(matched(customers, article(kind: .patch, products: [("bi", nil)])) == ["BI", "BOTH"])
        // A critical fix for a barred and an allowed product still matches through the allowed one.
        let both = article(kind: .criticalFix, products: [("bi", nil), ("erp-m3", nil)])
        let matcher = Matcher(registrations: Registrations(customers: customers), catalog: catalog)
        let matches = matcher.matches(both)
        #expect(matches.map { matcher.customers[$0.customer].id } == ["BOTH"])
        #expect(matches.first?.matched == [MatchedProduct(product: "erp-m3", version: nil)])
    }

    @Test func severalProductsOfOneArticleGiveOneMatchPerCustomer() {
        let customers = [customer("A", products: [("erp-ln", "10.6"), ("erp-m3", "13.1")])]
        let matcher = Matcher(registrations: Registrations(customers: customers), catalog: catalog)
        let matches = matcher.matches(article(products: [("erp-ln", "<11"), ("erp-m3", "<14")]))
        #expect(matches.count == 1)
        #expect(matches[0].matched.map(\.product) == ["erp-ln", "erp-m3"])
        #expect(matches[0].matched.map(\.version) == ["10.6", "13.1"])
    }

    @Test func rule5RevisionPolicy() {
        let c = customer("A")
        let products = article().products
        // Never notified: new.
        #expect(RevisionPolicy.verdict(customer: c, revision: 3, severity: 2, before: nil, previousProducts: nil) == .notify)
        // Same revision again: nothing.
        #expect(
            RevisionPolicy.verdict(
                customer: c, revision: 1, severity: 1, before: NotifiedBefore(severity: 1, revision: 1),
                previousProducts: products) == .alreadyNotified)
        // New revision, same severity, already included: nothing.
        #expect(
            RevisionPolicy.verdict(
                customer: c, revision: 2, severity: 2, before: NotifiedBefore(severity: 2, revision: 1),
                previousProducts: products) == .revisionNotRelevant)
        // New revision, more severe: notify.
        #expect(
            RevisionPolicy.verdict(
                customer: c, revision: 2, severity: 1, before: NotifiedBefore(severity: 2, revision: 1),
                previousProducts: products) == .notify)
        // New revision, less severe: nothing.
        #expect(
            RevisionPolicy.verdict(
                customer: c, revision: 2, severity: 3, before: NotifiedBefore(severity: 2, revision: 1),
                previousProducts: products) == .revisionNotRelevant)
        // New revision whose ranges newly include the customer: notify.
        let before = article(products: [("erp-ln", "<10.6")]).products
        #expect(
            RevisionPolicy.verdict(
                customer: c, revision: 2, severity: 2, before: NotifiedBefore(severity: 2, revision: 1),
                previousProducts: before) == .notify)
    }

    @Test func dispatchOrder() {
        func n(_ id: String, _ plan: Plan, severity: Int, published: Double) -> Matching.Notification {
            Matching.Notification(
                customer: customer(id, plan: plan), article: article(severity: severity, published: published), matched: [])
        }
        let notifications = [
            n("Z", .xtreme, severity: 1, published: 10),
            n("B", .elite, severity: 2, published: 5),
            n("C", .premium, severity: 1, published: 20),
            n("A", .elite, severity: 1, published: 30),
            n("D", .premium, severity: 1, published: 10),
            n("E", .premium, severity: 1, published: 10),
        ]
        let sorted = notifications.sorted(by: DispatchOrder.precedes).map(\.customer.id)
        #expect(sorted == ["A", "D", "E", "C", "Z", "B"])
    }

    @Test func explanationSaysWhyRuleByRule() {
        let c = customer("A", minSeverity: 1, products: [("erp-ln", "10.8")])
        let explanation = Explanation(customer: c, article: article(severity: 2), catalog: catalog)
        #expect(!explanation.matches)
        #expect(explanation.rules.map(\.holds) == [true, false, false, true])
        #expect(explanation.rules[1].reason.contains("severity 2 is above min_severity 1"))
        #expect(explanation.rules[2].reason.contains("erp-ln 10.8 is not in '>=10.5, <10.7.2'"))
        let yes = Explanation(customer: customer("B"), article: article(), catalog: catalog)
        #expect(yes.matches)
    }
}

/// `explain` and the matcher are two codes for rules 1–4 of SPEC 5: on random
/// registrations × articles they must agree, pair by pair — `explain` is what an operator
/// trusts when a customer asks why a notice did or did not come.
@Suite struct ExplainAgreesWithTheMatcherTests {
    @Test func onRandomPairs() throws {
        var random = SplitMix(seed: 2026_12_07)
        let catalog = Catalog([
            CatalogProduct(id: "erp-ln", name: "ERP LN"), CatalogProduct(id: "erp-m3", name: "ERP M3"),
            CatalogProduct(id: "ios", name: "IOS"), CatalogProduct(id: "bi", name: "BI", criticalNotifications: false),
        ])
        let ids = ["erp-ln", "erp-m3", "ios", "bi", "unknown"]
        let versions = ["10.5", "10.7.1", "10.7.2", "10.10", "15.7(3)M", "15.7(3)M2", "12.2(58)SE", "1.0-rc1", "1.0"]
        let ranges = [nil, "*", ">=10.5, <10.7.2", "<10.7.2 || =10.10", "=15.7(3)M || =15.7(3)M1", ">=1.0-rc1",
                      "vers:generic/>=10.5|<10.8", "!=10.10", ">12.2"]
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        var customers: [Customer] = []
        for index in 0..<60 {
            let products = (0..<Int(1 + random.next() % 3)).map { _ in
                RegisteredProduct(product: pick(ids.dropLast()), version: random.next() % 4 == 0 ? nil : Version(pick(versions)))
            }
            var unique: [RegisteredProduct] = []
            for product in products where !unique.contains(where: { $0.product == product.product }) { unique.append(product) }
            customers.append(
                Customer(
                    id: "C\(index)", plan: pick(Plan.allCases), status: random.next() % 8 == 0 ? .suspended : .active,
                    minSeverity: Int(1 + random.next() % 4),
                    kinds: random.next() % 3 == 0 ? Set(Kind.allCases.filter { _ in random.next() % 2 == 0 }) : Set(Kind.allCases),
                    products: unique, contacts: [Contact(email: "c\(index)@example.com")]))
        }
        let matcher = Matcher(registrations: Registrations(customers: customers), catalog: catalog)
        var agreed = 0
        var matchedPairs = 0
        for index in 0..<200 {
            let products = (0..<Int(1 + random.next() % 3)).map { _ -> AffectedProduct in
                let id = pick(ids)
                let affected: String? = pick(ranges)
                return AffectedProduct(
                    id: id, affected: affected, range: try! VersionRange(parsing: affected ?? ""), fixed: nil,
                    isResolved: catalog.product(named: id) != nil)
            }
            let article = Article(
                feed: "kb", id: "A\(index)", revision: 1, title: "t", link: nil, published: nil, updated: nil,
                severity: Int(1 + random.next() % 4), kind: pick(Kind.allCases), products: products, categories: [],
                summary: "")
            let selected = Set(matcher.matches(article).map { customers[$0.customer].id })
            for customer in customers {
                let explained = Explanation(customer: customer, article: article, catalog: catalog).matches
                #expect(explained == selected.contains(customer.id), "\(customer.id) × \(article.id): explain says \(explained)")
                if explained == selected.contains(customer.id) { agreed += 1 }
                if explained { matchedPairs += 1 }
            }
        }
        #expect(agreed == 200 * 60)
        #expect(matchedPairs > 200, "the random pairs must match often enough to mean something: \(matchedPairs)")
    }
}
