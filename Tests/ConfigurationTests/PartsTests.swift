import Articles
@testable import Configuration
import Testing

/// Large registration files are composed in parts on several cores; whatever the
/// file, the result must be exactly that of composing it whole.
@Suite struct PartsTests {
    /// `count` customers, the `index`-th one replaced by `override(index)` when it returns text.
    static func customers(_ count: Int, header: String = "", override: (Int) -> String? = { _ in nil }) -> String {
        var text = "# registrations\n\(header)customers:\n"
        for index in 0..<count {
            if let custom = override(index) {
                text += custom
                continue
            }
            text += """
                  - id: C-\(index)
                    plan: \(["xtreme", "premium", "elite"][index % 3])
                    products:
                      - product: \(["erp-ln", "LN", "WMS"][index % 3])
                        version: 10.\(index % 12)
                    contacts:
                      - email: c\(index)@example.com
                        name: "Ops \(index)"

                """
        }
        return text
    }

    static func load(_ text: String, parts: Int) -> (customers: [Customer], problems: [String]) {
        let directory = TemporaryDirectory()
        let file = directory.write("registrations.yaml", text)
        do {
            let registrations = try RegistrationsLoader.load(
                path: file, catalog: testCatalog, environment: [:], parallelThreshold: 0, parts: parts)
            return (registrations.customers, [])
        } catch {
            return ([], error.diagnostics.map(located))
        }
    }

    static func expectSame(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let whole = load(text, parts: 1)
        for parts in [2, 3, 7] {
            let split = load(text, parts: parts)
            #expect(split.customers == whole.customers, "\(parts) parts", sourceLocation: sourceLocation)
            #expect(split.problems == whole.problems, "\(parts) parts", sourceLocation: sourceLocation)
        }
    }

    @Test func cutsBeforeItemsOfTheList() throws {
        let bytes = Array(Self.customers(10).utf8)
        let cuts = try #require(YAMLFile.cutPoints(bytes, list: "customers", parts: 3))
        #expect(cuts.count == 4)
        #expect(cuts.first == 0 && cuts.last == bytes.count)
        for cut in cuts.dropFirst().dropLast() {
            #expect(bytes[(cut - 1)...].starts(with: Array("\n  - id: C-".utf8)))
        }
        #expect(YAMLFile.composeInParts(bytes, list: "customers", parts: 3)?.continuation.count ?? 0 > 0)
        #expect(YAMLFile.cutPoints(Array("customers: []\n".utf8), list: "customers", parts: 2) == nil)
        #expect(YAMLFile.cutPoints(Array("clients:\n  - a\n".utf8), list: "customers", parts: 2) == nil)
    }

    @Test func validFileLoadsTheSame() {
        let text = Self.customers(200)
        #expect(Self.load(text, parts: 3).customers.count == 200)
        Self.expectSame(text)
    }

    @Test func diagnosticsAreTheSameInEveryPart() {
        let text = Self.customers(120) { index in
            switch index {
            case 5: "  - id: C-5\n    plan: gold\n    contacts: [{email: a@b.example}]\n"
            case 100: "  - id: C-7\n    language: de\n    contacts: [{email: 'x@'}]\n"
            case 119: "  - id: C-119\n"
            default: nil
            }
        }
        let problems = Self.load(text, parts: 1).problems
        #expect(problems.count == 5)
        Self.expectSame(text)
    }

    @Test func fallsBackWhenAPartDoesNotStandAlone() {
        // An alias to an anchor in an earlier part.
        Self.expectSame(
            Self.customers(60) { index in
                index == 0
                    ? "  - id: A\n    contacts: &shared [{email: a@b.example}]\n"
                    : index == 59 ? "  - id: Z\n    contacts: *shared\n" : nil
            })
        // A key after the list.
        Self.expectSame(Self.customers(60) + "x-end: true\n")
        // A syntax error late in the file.
        Self.expectSame(Self.customers(60) + "  - id: [broken\n")
        // A quoted scalar whose continuation lines look like items.
        Self.expectSame(
            Self.customers(60) { index in
                index == 30 ? "  - id: Q\n    name: \"one\n  - two\"\n    contacts: [{email: q@b.example}]\n" : nil
            })
        // Items at column 1, and a header before the list.
        Self.expectSame(
            Self.customers(40, header: "x-note: &n {plan: elite}\n").replacingOccurrences(of: "\n  ", with: "\n"))
    }
}
