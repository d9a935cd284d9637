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
        let data = RenderData(request: request, words: .english, polish: false, productNames: ["erp-ln": "ERP LN"])
        for (html, title) in [(false, "a & <b>"), (true, "a &amp; &lt;b&gt;")] {
            let template = try CompiledTemplate(source: source, file: "t", roots: [.message, .notification], escapesHTML: html)
            var out: [UInt8] = []
            data.run(template, digest: false, subject: false, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == "[\(title)]\n- ERP LN -> 10.7.2\n- erp-m3 (none)\nno link\nend")
        }
    }
}
