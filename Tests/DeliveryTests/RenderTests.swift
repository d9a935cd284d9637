import Articles
import Configuration
@testable import Delivery
import Foundation
import Matching
import Testing

@Suite struct RenderTests {
    @Test func polishCriticalNotification() throws {
        let title = "KB 2245871: Zażółć gęślą jaźń — ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ"
        let longLine = String(repeating: "żółw", count: 80)
        let article = Fixtures.article(title: title, summary: "Pierwszy akapit.\r\n\r\n\(longLine)\nFrom here on, nothing.")
        let email = Fixtures.renderer.render(Fixtures.request([article]))
        let parsed = try Oracle.parse(email)
        expectWellFormed(parsed)

        #expect(parsed.subject == "[Krytyczna] \(title) — ERP LN")
        #expect(parsed.header("From") == ["Xtreme Support <xtreme-noreply@support.example.com>"])
        #expect(parsed.header("To") == ["Zespół IT <it-ops@acme.example>"])
        #expect(parsed.header("Date") == ["Tue, 24 Nov 2026 09:31:02 +0000"])
        #expect(parsed.header("Message-ID") == ["<d-42.1795512662@critfix.support.example.com>"])
        #expect(parsed.header("X-Critfix-Severity") == ["1"])
        #expect(parsed.header("X-Critfix-Article") == ["erp-ln-kb/KB2245871"])
        #expect(parsed.header("X-Critfix-Customer") == ["ACME-001"])
        #expect(parsed.header("Importance") == ["high"])
        #expect(parsed.header("X-Priority") == ["1"])
        #expect(parsed.header("In-Reply-To").isEmpty && parsed.header("References").isEmpty)
        #expect(email.recipients == ["it-ops@acme.example"])
        #expect(email.messageID == "<d-42.1795512662@critfix.support.example.com>")

        for body in [parsed.plain, parsed.html] {
            #expect(body.contains(title))
            #expect(body.contains("ERP LN"))
            #expect(body.contains("https://support.example.com/kb/2245871"))
            #expect(body.contains("Krytyczna"))
            #expect(body.contains("Poprawka krytyczna"))
            #expect(body.contains("24 listopada 2026, 09:30 UTC"))
            #expect(body.contains("10.7.2"))
            #expect(body.contains("10.7.1"))
            #expect(body.contains("ACME-001"))
            #expect(body.contains("Elite"))
            #expect(body.contains(longLine))
            #expect(body.contains("From here on, nothing."))
        }
        #expect(parsed.plain.contains(">=10.5, <10.7.2"))
        #expect(parsed.html.contains("&gt;=10.5, &lt;10.7.2"))
        #expect(parsed.plain.contains("Prosimy o aktualizację ERP LN z wersji 10.7.1 do wersji 10.7.2 lub nowszej."))
        #expect(parsed.plain.contains("Pierwszy akapit.\n\n"))
        #expect(!parsed.plain.contains("\r"))
    }

    /// A renderer keeps each customer's text for the run; a customer with the same id
    /// but another name, plan or registered products gets new text, and the From header
    /// follows the sender.
    @Test func aRendererFollowsChangedCustomersAndSenders() throws {
        let renderer = try EmailRenderer(templatesDirectory: nil, catalog: Fixtures.catalog)
        let article = Fixtures.article()
        var customer = Fixtures.customer(language: .en)
        let first = try Oracle.parse(renderer.render(Fixtures.request([article], customer: customer)))
        #expect(first.plain.contains("ACME Manufacturing Sp. z o.o."))
        #expect(first.plain.contains("ERP LN 10.7.1, ERP M3"))
        #expect(first.plain.contains("under the Elite support plan"))

        customer.name = "ACME Holding"
        customer.plan = .premium
        customer.products = [RegisteredProduct(product: "erp-m3")]
        var request = Fixtures.request([article], customer: customer)
        request.from = Mailbox(name: "Premium Support", address: "premium@support.example.com")
        let second = try Oracle.parse(renderer.render(request))
        #expect(second.plain.contains("ACME Holding"))
        #expect(!second.plain.contains("ACME Manufacturing"))
        #expect(second.plain.contains("has registered ERP M3 for"))
        #expect(second.plain.contains("under the Premium support plan"))
        #expect(second.header("From") == ["Premium Support <premium@support.example.com>"])
        #expect(second.header("X-Critfix-Customer") == ["ACME-001"])
    }

    @Test func englishRevisionThreadsUnderTheFirstNotification() throws {
        let article = Fixtures.article(severity: 2, kind: .patch, revision: 2)
        let first = "<d-7.1795000000@critfix.support.example.com>"
        let request = Fixtures.request([article], customer: Fixtures.customer(language: .en), inReplyTo: first)
        let parsed = try Oracle.parse(Fixtures.renderer.render(request))
        expectWellFormed(parsed)
        #expect(parsed.subject == "[High] Update (revision 2): KB 2245871: Payroll run fails after the 2026 tax table update — ERP LN")
        #expect(parsed.header("In-Reply-To") == [first])
        #expect(parsed.header("References") == [first])
        #expect(parsed.header("Importance").isEmpty && parsed.header("X-Priority").isEmpty)
        #expect(parsed.header("X-Critfix-Severity") == ["2"])
        for body in [parsed.plain, parsed.html] {
            #expect(body.contains("revision 2"))
            #expect(body.contains("24 November 2026, 09:30 UTC"))
            #expect(body.contains("Patch"))
            #expect(body.contains("Dear Zespół IT,"))
            #expect(body.contains("Upgrade ERP LN from version 10.7.1 to version") && body.contains("or later."))
            #expect(body.contains("Elite support plan"))
        }
    }

    @Test func polishRevisionSubject() throws {
        let article = Fixtures.article(title: "Błąd księgowania", severity: 3, revision: 2)
        let parsed = try Oracle.parse(Fixtures.renderer.render(Fixtures.request([article])))
        expectWellFormed(parsed)
        #expect(parsed.subject == "[Średnia] Aktualizacja (wersja 2): Błąd księgowania — ERP LN")
    }

    @Test func digestListsEveryNotificationInOrder() throws {
        let articles = [
            Fixtures.article(id: "KB1", title: "Pierwszy: krytyczny błąd", severity: 1),
            Fixtures.article(id: "KB2", title: "Drugi: łatka", severity: 2, kind: .patch, products: [Fixtures.product("erp-m3", affected: nil, fixed: nil)]),
            Fixtures.article(id: "KB3", title: "Trzeci: dokumentacja", severity: 4, kind: .documentation, link: nil),
        ]
        let polish = try Oracle.parse(Fixtures.renderer.render(Fixtures.request(articles, digest: true)))
        expectWellFormed(polish)
        #expect(polish.subject == "[Krytyczna] Zestawienie powiadomień o poprawkach dla ACME Manufacturing Sp. z o.o.: 3 nowe powiadomienia (1 krytyczne)")
        #expect(polish.header("X-Critfix-Article") == ["erp-ln-kb/KB1", "erp-ln-kb/KB2", "erp-ln-kb/KB3"])
        #expect(polish.header("X-Critfix-Severity") == ["1"])
        #expect(polish.header("Importance") == ["high"])
        for body in [polish.plain, polish.html] {
            let positions = articles.map { body.range(of: $0.title)?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil })
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
            #expect(body.contains("3 nowe powiadomienia"))
            #expect(body.contains("ERP M3"))
            #expect(body.contains("wszystkie wersje"))
        }

        let english = try Oracle.parse(
            Fixtures.renderer.render(Fixtures.request(Array(articles.dropFirst()), customer: Fixtures.customer(language: .en), digest: true)))
        expectWellFormed(english)
        #expect(english.subject == "[High] Fix notice digest for ACME Manufacturing Sp. z o.o.: 2 new notifications")
        #expect(english.header("X-Critfix-Severity") == ["2"])
        #expect(english.header("Importance").isEmpty)
    }

    @Test func polishPluralForms() {
        let expected = [
            1: "1 nowe powiadomienie", 2: "2 nowe powiadomienia", 4: "4 nowe powiadomienia", 5: "5 nowych powiadomień",
            11: "11 nowych powiadomień", 12: "12 nowych powiadomień", 14: "14 nowych powiadomień",
            22: "22 nowe powiadomienia", 25: "25 nowych powiadomień", 104: "104 nowe powiadomienia",
            112: "112 nowych powiadomień",
        ]
        for (count, text) in expected { #expect(Words.polish.countText(count) == text) }
        #expect(Words.polish.criticalText(1) == "1 krytyczne")
        #expect(Words.polish.criticalText(3) == "3 krytyczne")
        #expect(Words.polish.criticalText(7) == "7 krytycznych")
        #expect(Words.english.countText(1) == "1 new notification")
        #expect(Words.english.countText(3) == "3 new notifications")
    }

    @Test func hostileTitleCannotInjectHeaders() throws {
        let chunk = "Zażółć 🚀👩‍💻 ŻÓŁW "
        let title = "Urgent\r\nBcc: victim@evil.example\r\nX-Injected: yes\u{7}\t\u{85}\u{2028}" + String(repeating: chunk, count: 40)
        #expect(title.count > 500)
        let contact = Contact(email: "it-ops@acme.example\r\nBcc: other@evil.example", name: "Evil\r\nCc: x@evil.example")
        var customer = Fixtures.customer(language: .en)
        customer.id = "ACME\r\nX-Other: 1"
        let request = Fixtures.request([Fixtures.article(title: title)], customer: customer, contact: contact)
        let parsed = try Oracle.parse(Fixtures.renderer.render(request))
        expectWellFormed(parsed)

        // Independently: every control character or white space run is one space; at most 200 characters.
        let cleaned = title.split(whereSeparator: { $0.isWhitespace || $0.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control } })
            .joined(separator: " ")
        var shortened = String(cleaned.prefix(199))
        while shortened.hasSuffix(" ") { shortened.removeLast() }
        #expect(parsed.subject == "[Critical] \(shortened)… — ERP LN")
        #expect(parsed.header("Subject").count == 1)
        let injected = parsed.headerNames.filter { ["bcc", "cc", "x-injected", "x-other"].contains($0.lowercased()) }
        #expect(injected == [])
        #expect(parsed.header("X-Critfix-Customer") == ["ACME X-Other: 1"])
        #expect(parsed.plain.contains("Urgent Bcc: victim@evil.example X-Injected: yes Zażółć 🚀👩‍💻 ŻÓŁW"))
    }

    @Test func htmlPartEscapesFeedTextAndDropsUnsafeLinks() throws {
        let title = "<script>alert('x')</script> & <b>bold</b>"
        for link in ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "ftp://x/y"] {
            let article = Fixtures.article(title: title, link: link, summary: "<img src=x onerror=alert(1)>")
            let parsed = try Oracle.parse(Fixtures.renderer.render(Fixtures.request([article])))
            expectWellFormed(parsed)
            #expect(!parsed.html.lowercased().contains("javascript:"))
            #expect(!parsed.html.contains("data:text"))
            #expect(!parsed.html.contains("<script>"))
            #expect(!parsed.html.contains("<img"))
            #expect(!parsed.html.contains("href="))
            #expect(parsed.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"))
            #expect(parsed.plain.contains(title))
            #expect(!parsed.plain.lowercased().contains("javascript:"))
        }
        let safe = Fixtures.article(link: "https://support.example.com/kb?id=1&lang=pl\"><script>")
        let parsed = try Oracle.parse(Fixtures.renderer.render(Fixtures.request([safe])))
        #expect(parsed.html.contains("href=\"https://support.example.com/kb?id=1&amp;lang=pl&quot;&gt;&lt;script&gt;\""))
    }

    @Test func reRenderingIsByteIdentical() {
        let request = Fixtures.request([Fixtures.article()])
        #expect(Fixtures.renderer.render(request).bytes == Fixtures.renderer.render(request).bytes)
    }

    @Test func datesAreFormattedByHand() {
        let cases: [(Double, String, String, String)] = [
            (0, "Thu, 1 Jan 1970 00:00:00 +0000", "1 January 1970, 00:00 UTC", "Thu Jan  1 00:00:00 1970"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000", "29 lutego 2000, 00:00 UTC", "Tue Feb 29 00:00:00 2000"),
            (1_795_512_600, "Tue, 24 Nov 2026 09:30:00 +0000", "24 listopada 2026, 09:30 UTC", "Tue Nov 24 09:30:00 2026"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 +0000", "31 December 2099, 23:59 UTC", "Thu Dec 31 23:59:59 2099"),
        ]
        for (seconds, rfc, text, asctime) in cases {
            let time = CivilTime(Date(timeIntervalSince1970: seconds))
            #expect(time.rfc5322 == rfc)
            #expect(time.text(polish: text.contains("lutego") || text.contains("listopada")) == text)
            #expect(time.asctime == asctime)
        }
    }

    @Test func noNameAndPlainAsciiNames() throws {
        var request = Fixtures.request([Fixtures.article()], customer: Fixtures.customer(language: .en))
        request.contact = Contact(email: "ops@acme.example")
        request.from = Mailbox(name: "Support \"Desk\"", address: "noreply@support.example.com")
        let parsed = try Oracle.parse(Fixtures.renderer.render(request))
        expectWellFormed(parsed)
        #expect(parsed.header("To") == ["ops@acme.example"])
        #expect(parsed.header("From") == ["\"Support \\\"Desk\\\"\" <noreply@support.example.com>"])
        #expect(parsed.plain.contains("Dear Customer,"))
    }
}
