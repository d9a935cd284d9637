import Articles
import Configuration
@testable import Delivery
import Foundation
import Matching
import Testing

/// SPEC 2.4: `fixed` lists one version per release line; every notice names the lowest
/// fixed version above the customer's, or says that no fix for that release has been
/// announced — never "upgrade from 10.10 to 10.7.2". Both languages, text and HTML.
@Suite struct FixAdviceRenderTests {
    func render(installed: String?, fixed: String?, language: Language) throws -> Oracle.Parsed {
        let customer = Customer(
            id: "NORDLYS-014", name: "Nordlys Logistics AS", plan: .premium, language: language, minSeverity: 4,
            products: [RegisteredProduct(product: "erp-ln", version: installed.flatMap(Version.init))],
            contacts: [Contact(email: "erp-admins@nordlys.example", name: nil)])
        let article = Fixtures.article(products: [
            Fixtures.product(affected: "<10.7.2 || >=10.10, <10.10.1 || =10.11", fixed: fixed)
        ])
        let notification = Matching.Notification(
            customer: customer, article: article, matched: [MatchedProduct(product: "erp-ln", version: installed)])
        let request = EmailRequest(
            messageID: "<d-1.1@critfix.example>", inReplyTo: nil, date: Fixtures.published,
            from: Mailbox(name: "Support", address: "s@support.example.com"), contact: customer.contacts[0],
            customer: customer, notifications: [notification], isDigest: false)
        let parsed = try Oracle.parse(Fixtures.renderer.render(request))
        expectWellFormed(parsed)
        return parsed
    }

    @Test func theFixOfTheCustomersReleaseLine() throws {
        let english = try render(installed: "10.10", fixed: "10.7.2, 10.10.1", language: .en)
        #expect(english.plain.contains("Upgrade ERP LN from version 10.10 to version 10.10.1 or later."))
        #expect(english.html.contains("Upgrade ERP LN from version 10.10 to version <strong>10.10.1</strong> or later."))
        let polish = try render(installed: "10.7.1", fixed: "10.7.2, 10.10.1", language: .pl)
        #expect(polish.plain.contains("Prosimy o aktualizację ERP LN z wersji 10.7.1 do wersji 10.7.2 lub nowszej."))
        #expect(!english.plain.contains("to version 10.7.2"))
        for parsed in [english, polish] {
            #expect(parsed.plain.contains("10.7.2, 10.10.1"))  // the affected products list every fixed version
        }
    }

    @Test func noFixForTheInstalledReleaseIsSaid() throws {
        let english = try render(installed: "10.11", fixed: "10.7.2, 10.10.1", language: .en)
        #expect(english.plain.contains(
            "No fix for ERP LN 10.11 has been announced yet (fixed versions so far: 10.7.2, 10.10.1)"))
        #expect(!english.plain.contains("Upgrade ERP LN"))
        #expect(!english.html.contains("Upgrade ERP LN"))
        let polish = try render(installed: "10.11", fixed: "10.7.2", language: .pl)
        #expect(polish.plain.contains(
            "Poprawka dla ERP LN 10.11 nie została jeszcze ogłoszona (wersje z poprawką: 10.7.2)"))
        #expect(!polish.plain.contains("do wersji 10.7.2"))
        #expect(!polish.html.contains("do wersji <strong>10.7.2"))
    }

    @Test func withoutAnInstalledVersionEveryLineIsListed() throws {
        let english = try render(installed: nil, fixed: "10.7.2, 10.10.1", language: .en)
        #expect(english.plain.contains("Upgrade ERP LN to the fixed version of your release line: 10.7.2, 10.10.1."))
        let single = try render(installed: nil, fixed: "10.7.2", language: .pl)
        #expect(single.plain.contains("Prosimy o aktualizację ERP LN do wersji 10.7.2 lub nowszej."))
        let none = try render(installed: "10.10", fixed: nil, language: .en)
        #expect(none.plain.contains("Review the article and apply the fix or workaround it describes for ERP LN."))
    }
}

