import Articles
import Configuration
@testable import Delivery
import Foundation
import Testing

@Suite struct TemplateTests {
    static func directory(_ files: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "critfix-templates-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8) }
        return path
    }

    static func templateError(_ files: [String: String]) throws -> TemplateError? {
        let path = try directory(files)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try EmailRenderer(templatesDirectory: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func anOverrideChangesItsPartOnly() throws {
        let path = try Self.directory([
            "pl.subject.txt": "Pilne {{^is_revision}}(nowe){{/is_revision}}: {{title}} [{{customer_id}}]\n",
            "README.md": "not a template",
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let custom = try EmailRenderer(templatesDirectory: path, catalog: Fixtures.catalog)
        let request = Fixtures.request([Fixtures.article(title: "Błąd <płac>")])
        let overridden = try Oracle.parse(custom.render(request))
        let builtIn = try Oracle.parse(Fixtures.renderer.render(request))
        expectWellFormed(overridden)
        #expect(overridden.subject == "Pilne (nowe): Błąd <płac> [ACME-001]")
        #expect(overridden.plain == builtIn.plain)
        #expect(overridden.html == builtIn.html)
        // English keeps its built-in subject.
        let english = try Oracle.parse(custom.render(Fixtures.request([Fixtures.article()], customer: Fixtures.customer(language: .en))))
        #expect(english.subject.hasPrefix("[Critical] KB 2245871"))
    }

    @Test func brokenOverridesNameFileAndLine() throws {
        let unknown = try #require(try Self.templateError(["en.text.txt": "Hello\n\n{{#products}}\n  {{titel}}\n{{/products}}\n"]))
        #expect(unknown.file.hasSuffix("/en.text.txt"))
        #expect(unknown.line == 4)
        #expect(unknown.description.hasSuffix("en.text.txt:4: unknown placeholder 'titel'"))

        let unclosed = try #require(try Self.templateError(["pl.html.txt": "<p>\n{{#matched}}\n{{product}}\n"]))
        #expect(unclosed.file.hasSuffix("/pl.html.txt") && unclosed.line == 2)
        #expect(unclosed.message.contains("not closed"))

        let mismatched = try #require(try Self.templateError(["en.digest-text.txt": "{{#notifications}}\n{{#products}}\n{{/notifications}}\n"]))
        #expect(mismatched.line == 3)

        let outOfScope = try #require(try Self.templateError(["en.text.txt": "ok\n{{fixed}}\n"]))
        #expect(outOfScope.line == 2 && outOfScope.message.contains("cannot be used here"))

        let digestOnly = try #require(try Self.templateError(["en.subject.txt": "{{count_text}}"]))
        #expect(digestOnly.line == 1)

        let list = try #require(try Self.templateError(["en.text.txt": "\n\n{{products}}"]))
        #expect(list.line == 3 && list.message.contains("is a list"))

        let open = try #require(try Self.templateError(["en.text.txt": "a {{title"]))
        #expect(open.line == 1)

        let typo = try #require(try Self.templateError(["en.txt.txt": "{{title}}"]))
        #expect(typo.file.hasSuffix("/en.txt.txt") && typo.message.contains("not a template file name"))

        #expect(throws: TemplateError.self) { try EmailRenderer(templatesDirectory: "/nonexistent-critfix-templates") }
    }

    /// docs/templates.md is the operators' reference: every placeholder the engine knows
    /// is in it, as `name` at the start of a line of its placeholder list.
    @Test func theReferenceListsEveryPlaceholder() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let reference = try String(contentsOf: url.appendingPathComponent("docs/templates.md"), encoding: .utf8)
        // A list line starts with its names, comma-separated, then two spaces or a colon.
        var listed: Set<String> = []
        for line in reference.split(separator: "\n") where line.hasPrefix("  ") {
            let names = line.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ")[0]
            for name in names.split(separator: ",") {
                listed.insert(name.trimmingCharacters(in: CharacterSet(charactersIn: " :")))
            }
        }
        for field in Field.allCases {
            #expect(listed.contains(field.rawValue), "docs/templates.md does not list {{\(field.rawValue)}}")
        }
    }

    @Test func everyBuiltInTemplateIsListed() throws {
        #expect(EmailRenderer.templateFileNames.count == 12)
        for name in EmailRenderer.templateFileNames { #expect(EmailRenderer.builtInTemplate(named: name) != nil) }
        // Writing the built-ins into a directory changes nothing.
        var files: [String: String] = [:]
        for name in EmailRenderer.templateFileNames { files[name] = EmailRenderer.builtInTemplate(named: name) }
        let path = try Self.directory(files)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let copy = try EmailRenderer(templatesDirectory: path, catalog: Fixtures.catalog)
        let request = Fixtures.request([Fixtures.article(), Fixtures.article(id: "KB2")], digest: true)
        #expect(copy.render(request).bytes == Fixtures.renderer.render(request).bytes)
    }

    @Test func sectionsInvertedSectionsStandaloneLinesAndEscaping() throws {
        let source = """
            {{! a comment line disappears }}
            [{{title}}]
            {{#products}}
            - {{product}}{{#fixed}} -> {{fixed}}{{/fixed}}{{^fixed}} (none){{/fixed}}
            {{/products}}
            {{^link}}
            no link
            {{/link}}
            end
            """
        let request = Fixtures.request([
            Fixtures.article(
                title: "a & <b>", link: nil,
                products: [Fixtures.product(), Fixtures.product("erp-m3", affected: nil, fixed: nil)])
        ])
        let names = ["erp-ln": "ERP LN"]
        let customer = CustomerText(request.customer, words: .english, productNames: names)
        let data = RenderData(request: request, customer: customer, words: .english, polish: false, productNames: names)
        for (html, title) in [(false, "a & <b>"), (true, "a &amp; &lt;b&gt;")] {
            let template = try CompiledTemplate(source: source, file: "t", roots: [.message, .notification], escapesHTML: html)
            var out: [UInt8] = []
            data.run(template, digest: false, subject: false, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == "[\(title)]\n- ERP LN -> 10.7.2\n- erp-m3 (none)\nno link\nend")
        }
    }
}

/// The built-in templates read like a support organisation's notice: the same facts,
/// and the same advice, in the plain-text and the HTML part, in both languages.
@Suite struct BuiltInTemplateContentTests {
    /// HTML part as text: tags dropped, the entities the renderer writes decoded.
    static func text(ofHTML html: String) -> String {
        var text = html.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text
    }

    @Test(arguments: [Language.pl, Language.en])
    func bothPartsCarryTheSameFactsAndAdvice(language: Language) throws {
        let critical = Fixtures.article()
        let parsed = try Oracle.parse(Fixtures.renderer.render(Fixtures.request([critical], customer: Fixtures.customer(language: language))))
        expectWellFormed(parsed)
        let polish = language == .pl
        let facts = [
            critical.title, polish ? "Krytyczna" : "Critical", polish ? "Poprawka krytyczna" : "Critical fix", "ERP LN",
            ">=10.5, <10.7.2", "10.7.2", "10.7.1", "https://support.example.com/kb/2245871",
            polish ? "Zalecane działania" : "What you should do",
            polish ? "Prosimy o aktualizację ERP LN z wersji 10.7.1 do wersji 10.7.2 lub nowszej."
                : "Upgrade ERP LN from version 10.7.1 to version 10.7.2 or later.",
            polish ? "zalecamy podjęcie działań niezwłocznie" : "we strongly recommend acting on it as soon as possible",
            polish ? "24 listopada 2026, 09:30 UTC" : "24 November 2026, 09:30 UTC",
            critical.summary, "ACME-001", "ACME Manufacturing Sp. z o.o.", "Elite",
        ]
        let html = Self.text(ofHTML: parsed.html)
        for fact in facts {
            #expect(parsed.plain.contains(fact), "text/plain lacks \(fact)")
            #expect(html.contains(fact), "text/html lacks \(fact)")
        }
        #expect(parsed.html.contains("<a href=\"https://support.example.com/kb/2245871\">"))

        // Not critical: no urgency line; no fixed version: the advice says to read the article.
        let patch = Fixtures.article(severity: 3, kind: .patch, products: [Fixtures.product(fixed: nil)])
        let quiet = try Oracle.parse(Fixtures.renderer.render(Fixtures.request([patch], customer: Fixtures.customer(language: language))))
        for body in [quiet.plain, Self.text(ofHTML: quiet.html)] {
            #expect(!body.contains(polish ? "niezwłocznie" : "as soon as possible"))
            #expect(body.contains(polish ? "Prosimy zapoznać się z artykułem" : "Review the article and apply the fix"))
            #expect(body.contains(polish ? "wersja z poprawką nie została jeszcze ogłoszona" : "no fixed version announced yet"))
        }
    }

    @Test(arguments: [Language.pl, Language.en])
    func aDigestSubjectNamesTheCustomerNotTheTool(language: Language) throws {
        let articles = [Fixtures.article(id: "KB1", severity: 1), Fixtures.article(id: "KB2", severity: 3, kind: .patch)]
        let parsed = try Oracle.parse(
            Fixtures.renderer.render(Fixtures.request(articles, customer: Fixtures.customer(language: language), digest: true)))
        expectWellFormed(parsed)
        #expect(!parsed.subject.contains("critfix"))
        #expect(parsed.subject.contains("ACME Manufacturing Sp. z o.o."))
        let urgency = language == .pl
            ? "Powiadomienia o ważności krytycznej w tym zestawieniu: 1." : "Critical notices in this digest: 1."
        #expect(parsed.plain.contains(urgency))
        #expect(Self.text(ofHTML: parsed.html).contains(urgency))
    }

    @Test func anOperatorsDirectoryOverridesTheBuiltInText() throws {
        let path = try TemplateTests.directory([
            "en.text.txt": "{{severity_label}}: {{title}}\n{{#products}}{{product}} {{affected}} -> {{fixed}}\n{{/products}}{{link}}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let custom = try EmailRenderer(templatesDirectory: path, catalog: Fixtures.catalog)
        let parsed = try Oracle.parse(custom.render(Fixtures.request([Fixtures.article()], customer: Fixtures.customer(language: .en))))
        #expect(parsed.plain == "Critical: KB 2245871: Payroll run fails after the 2026 tax table update\nERP LN >=10.5, <10.7.2 -> 10.7.2\nhttps://support.example.com/kb/2245871\n")
        #expect(parsed.html.contains("What you should do"), "the HTML part keeps its built-in template")
    }
}
