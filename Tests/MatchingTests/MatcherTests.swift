import Articles
import Configuration
import Foundation
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
