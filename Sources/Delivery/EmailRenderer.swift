public import Articles
import Configuration
import Foundation
import Matching

/// Renders notifications into MIME messages (SPEC 6.1) with the built-in templates,
/// overridden file by file by the operator's `email.templates` (see Templates.swift).
/// Templates are parsed once at init; `render` is allocation-light and thread-safe.
public struct EmailRenderer: Sendable {
    struct LanguageTemplates: Sendable {
        var subject, text, html, digestSubject, digestText, digestHTML: CompiledTemplate
    }

    /// Every template file name, e.g. `en.subject.txt`.
    public static let templateFileNames: [String] = Language.allCases.flatMap { language in
        ["subject", "text", "html", "digest-subject", "digest-text", "digest-html"].map { "\(language.rawValue).\($0).txt" }
    }

    /// The built-in text of a template file (for operators who want to start from it).
    public static func builtInTemplate(named name: String) -> String? { BuiltInTemplates.files[name] }

    /// Longest title in a subject, and longest subject, in characters.
    static let maxSubjectTitle = 200
    static let maxSubject = 250
    static let maxTitle = 1000
    static let maxSummary = 4000

    let english: LanguageTemplates
    let polish: LanguageTemplates
    let productNames: [String: String]
    let cache = RenderCache()

    /// Built-in templates, overridden file by file by `templatesDirectory` (the operator's
    /// `email.templates`). `catalog` gives products their names (else ids are shown).
    public init(templatesDirectory: String?, catalog: Catalog = .empty) throws(TemplateError) {
        var sources: [String: (text: String, file: String)] = [:]
        for name in Self.templateFileNames {
            sources[name] = (BuiltInTemplates.files[name]!, "built-in \(name)")
        }
        if let directory = templatesDirectory {
            let manager = FileManager.default
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw TemplateError(file: directory, line: 0, message: "the templates directory does not exist")
            }
            let entries: [String]
            do {
                entries = try manager.contentsOfDirectory(atPath: directory).sorted()
            } catch {
                throw TemplateError(file: directory, line: 0, message: "cannot list the templates directory: \(error.localizedDescription)")
            }
            for entry in entries where entry.hasSuffix(".txt") && !entry.hasPrefix(".") {
                let path = directory.hasSuffix("/") ? directory + entry : directory + "/" + entry
                guard sources[entry] != nil else {
                    throw TemplateError(
                        file: path, line: 0,
                        message: "not a template file name; expected one of \(Self.templateFileNames.joined(separator: ", "))")
                }
                guard let data = manager.contents(atPath: path) else {
                    throw TemplateError(file: path, line: 0, message: "cannot read the file")
                }
                guard let text = String(validating: data, as: UTF8.self) else {
                    throw TemplateError(file: path, line: 0, message: "not valid UTF-8")
                }
                sources[entry] = (text, path)
            }
        }
        func load(_ language: Language) throws(TemplateError) -> LanguageTemplates {
            func compile(_ part: String, digest: Bool, html: Bool) throws(TemplateError) -> CompiledTemplate {
                let source = sources["\(language.rawValue).\(part).txt"]!
                return try CompiledTemplate(
                    source: source.text, file: source.file, roots: digest ? [.message, .digest] : [.message, .notification],
                    escapesHTML: html)
            }
            return LanguageTemplates(
                subject: try compile("subject", digest: false, html: false),
                text: try compile("text", digest: false, html: false),
                html: try compile("html", digest: false, html: true),
                digestSubject: try compile("digest-subject", digest: true, html: false),
                digestText: try compile("digest-text", digest: true, html: false),
                digestHTML: try compile("digest-html", digest: true, html: true))
        }
        english = try load(.en)
        polish = try load(.pl)
        var names: [String: String] = [:]
        for product in catalog.products { names[product.id] = product.name }
        productNames = names
    }

    public func render(_ request: EmailRequest) -> RenderedEmail {
        let polishLanguage = request.customer.language == .pl
        let templates = polishLanguage ? polish : english
        let words = polishLanguage ? Words.polish : Words.english
        let digest = request.isDigest || request.notifications.count != 1
        let customer = cache.customerText(request.customer) {
            CustomerText(request.customer, words: words, productNames: productNames)
        }
        let data = RenderData(request: request, customer: customer, words: words, polish: polishLanguage, productNames: productNames)

        let subjectTemplate = digest ? templates.digestSubject : templates.subject
        let textTemplate = digest ? templates.digestText : templates.text
        let htmlTemplate = digest ? templates.digestHTML : templates.html

        var scratch: [UInt8] = []
        scratch.reserveCapacity(8192)
        data.run(subjectTemplate, digest: digest, subject: true, into: &scratch)
        let subject = TextCleaning.line(String(decoding: scratch, as: UTF8.self), maxCharacters: Self.maxSubject)

        var out: [UInt8] = []
        out.reserveCapacity(16384)
        let messageID = TextCleaning.bracketedToken(request.messageID)
        let boundary = Self.boundary(for: messageID)

        out.append(utf8: "Date: ")  // never folded: at most 40 characters
        CivilTime(request.date).appendRFC5322(to: &out)
        out.append(0x0A)
        out.append(contentsOf: cache.fromHeader(request.from) {
            var header: [UInt8] = []
            HeaderWriter.mailbox("From", displayName: request.from.name, address: request.from.address, into: &header)
            return header
        })
        HeaderWriter.mailbox("To", displayName: request.contact.name, address: request.contact.email, into: &out)
        HeaderWriter.unstructured("Subject", subject, into: &out)
        HeaderWriter.fold("Message-ID", [messageID], into: &out)
        if let inReplyTo = request.inReplyTo.map(TextCleaning.token), !inReplyTo.isEmpty {
            HeaderWriter.fold("In-Reply-To", ["<\(inReplyTo)>"], into: &out)
            HeaderWriter.fold("References", ["<\(inReplyTo)>"], into: &out)
        }
        out.append(utf8: "MIME-Version: 1.0\n")
        out.append(utf8: "Content-Type: multipart/alternative;\n boundary=\"\(boundary)\"\n")
        out.append(utf8: "Auto-Submitted: auto-generated\nX-Auto-Response-Suppress: All\n")
        out.append(utf8: "X-Critfix-Severity: \(data.mostSevere)\n")
        for notification in data.notifications {
            HeaderWriter.unstructured("X-Critfix-Article", notification.articleKey, allowLongWords: true, into: &out)
        }
        HeaderWriter.unstructured(
            "X-Critfix-Customer", customer.id, allowLongWords: true, into: &out)
        if data.mostSevere == 1 {
            out.append(utf8: "Importance: high\nX-Priority: 1\n")
        }
        out.append(utf8: "\nThis is a multi-part message in MIME format.\n")

        func appendPart(_ template: CompiledTemplate, type: String) {
            out.append(utf8: "\n--")
            out.append(utf8: boundary)
            out.append(utf8: "\nContent-Type: text/")
            out.append(utf8: type)
            out.append(utf8: "; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")
            scratch.removeAll(keepingCapacity: true)
            data.run(template, digest: digest, subject: false, into: &scratch)
            if scratch.last != 0x0A { scratch.append(0x0A) }
            QuotedPrintable.encode(scratch, into: &out)
        }
        appendPart(textTemplate, type: "plain")
        appendPart(htmlTemplate, type: "html")
        out.append(utf8: "\n--")
        out.append(utf8: boundary)
        out.append(utf8: "--\n")
        return RenderedEmail(bytes: out, recipients: [TextCleaning.token(request.contact.email)], messageID: messageID)
    }

    /// Deterministic (a re-send is byte-identical) and impossible in a quoted-printable
    /// body, where "=" is always followed by two hex digits or a line end.
    static func boundary(for messageID: String) -> String {
        let hash = TextCleaning.withUTF8(messageID) { bytes in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0100_0000_01b3
            }
            return hash
        }
        // Sixteen lower-case hex digits, most significant first.
        return "=_critfix_" + Digest.hex(withUnsafeBytes(of: hash.bigEndian) { Array($0) })
    }
}

/// Words in the customer's language.
struct Words: Sendable {
    var severity: [String]  // index 1…4
    var severityLabel: [String]
    var kind: [Kind: String]
    var kindLabel: [Kind: String]
    var allVersions: String
    var plan: [Plan: String]
    var countText: @Sendable (Int) -> String
    var criticalText: @Sendable (Int) -> String

    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    static let english: Words = {
        let severity = ["", "critical", "high", "medium", "low"]
        let kind: [Kind: String] = [
            .criticalFix: "critical fix", .patch: "patch", .servicePack: "service pack", .featurePack: "feature pack",
            .update: "update", .regulatory: "regulatory update", .documentation: "documentation update",
            .article: "knowledge-base article",
        ]
        return Words(
            severity: severity, severityLabel: severity.map(capitalised), kind: kind, kindLabel: kind.mapValues(capitalised),
            allVersions: "all versions", plan: [.xtreme: "Xtreme", .premium: "Premium", .elite: "Elite"],
            countText: { $0 == 1 ? "1 new notification" : "\($0) new notifications" },
            criticalText: { "\($0) critical" })
    }()

    /// 1: one, 2–4 (not 12–14): few, else many.
    static func polishPlural(_ n: Int, one: String, few: String, many: String) -> String {
        if n == 1 { return one }
        let tens = n % 100, units = n % 10
        return (2...4).contains(units) && !(12...14).contains(tens) ? few : many
    }

    static let polish: Words = {
        let severity = ["", "krytyczna", "wysoka", "średnia", "niska"]
        let kind: [Kind: String] = [
            .criticalFix: "poprawka krytyczna", .patch: "łatka", .servicePack: "pakiet serwisowy",
            .featurePack: "pakiet funkcjonalny", .update: "aktualizacja", .regulatory: "aktualizacja wymagana przepisami",
            .documentation: "aktualizacja dokumentacji", .article: "artykuł bazy wiedzy",
        ]
        return Words(
            severity: severity, severityLabel: severity.map(capitalised), kind: kind, kindLabel: kind.mapValues(capitalised),
            allVersions: "wszystkie wersje", plan: [.xtreme: "Xtreme", .premium: "Premium", .elite: "Elite"],
            countText: { n in
                "\(n) " + polishPlural(n, one: "nowe powiadomienie", few: "nowe powiadomienia", many: "nowych powiadomień")
            },
            criticalText: { n in "\(n) " + polishPlural(n, one: "krytyczne", few: "krytyczne", many: "krytycznych") })
    }()
}
