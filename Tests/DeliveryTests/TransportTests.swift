import Articles
import Configuration
@testable import Delivery
import Foundation
import Testing

@Suite struct TransportTests {
    /// A hand-made message whose body has lines that mbox readers would take for separators.
    static func messageWithFromLines(id: String) -> RenderedEmail {
        let text = """
            From: someone@example.com
            To: it-ops@acme.example
            Subject: plain
            Message-ID: \(id)

            First line.
            From the desk of the support team.
            >From an earlier quote.
            Last line.
            """
        return RenderedEmail(bytes: Array(text.utf8), recipients: ["it-ops@acme.example"], messageID: id)
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "critfix-delivery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func mboxStreamQuotesFromLines() {
        var buffer: [UInt8] = []
        MboxFormat.append(
            Self.messageWithFromLines(id: "<a@b>"), envelopeFrom: "bounces@support.example.com",
            date: Date(timeIntervalSince1970: 1_795_512_600), to: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "From bounces@support.example.com Tue Nov 24 09:30:00 2026")
        #expect(lines.contains(">From the desk of the support team."))
        #expect(lines.contains(">>From an earlier quote."))
        #expect(lines.contains("From: someone@example.com"))
        #expect(text.hasSuffix("Last line.\n\n"))
        #expect(lines.filter { $0.hasPrefix("From ") }.count == 1)
    }

    @Test func mboxFileHoldsEveryMessage() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/critfix.mbox"
        let first = Fixtures.renderer.render(Fixtures.request([Fixtures.article(id: "KB1")], messageID: "<m1@critfix>"))
        let third = Fixtures.renderer.render(
            Fixtures.request([Fixtures.article(id: "KB3", title: "Ä ö ü")], customer: Fixtures.customer(language: .en), messageID: "<m3@critfix>"))

        let transport = try MboxTransport(path: path)
        try transport.send(first, envelopeFrom: "bounces@support.example.com")
        try transport.send(Self.messageWithFromLines(id: "<m2@critfix>"), envelopeFrom: "bounces@support.example.com")
        try transport.close()
        // A second run appends.
        let again = try MboxTransport(path: path)
        try again.send(third, envelopeFrom: "")
        try again.close()

        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let script = #"""
import sys, json, mailbox, re
box = mailbox.mbox(sys.argv[1], create=False)
out = []
for message in box:
    body = message.get_payload(decode=False) if not message.is_multipart() else ""
    # mboxrd: a reader removes one '>' from lines matching ^>+From
    restored = re.sub(r"(?m)^>(>*From )", r"\1", body)
    out.append({"id": message["Message-ID"], "from_line": message.get_from(), "body": restored,
                "defects": [str(d) for d in message.defects]})
print(json.dumps(out))
"""#
        struct Entry: Decodable {
            var id: String
            var from_line: String
            var body: String
            var defects: [String]
        }
        let entries = try JSONDecoder().decode([Entry].self, from: Oracle.run(script, arguments: [path]))
        #expect(entries.map(\.id) == ["<m1@critfix>", "<m2@critfix>", "<m3@critfix>"])
        #expect(entries.allSatisfy { $0.defects.isEmpty })
        #expect(entries[0].from_line.hasPrefix("bounces@support.example.com "))
        #expect(entries[2].from_line.hasPrefix("MAILER-DAEMON "))
        #expect(entries[1].body.contains("\nFrom the desk of the support team.\n>From an earlier quote.\nLast line."))

        // The rendered messages come back intact.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(raw.count > first.bytes.count + third.bytes.count)
        let parsed = try JSONDecoder().decode(
            Oracle.Parsed.self,
            from: Oracle.run(
                "import sys,mailbox\nsys.stdout.buffer.write(mailbox.mbox(sys.argv[1]).get_bytes(2))", arguments: [path])
                .withUnsafeBytes { try Oracle.run(Oracle.parseScript, input: Array($0)) })
        expectWellFormed(parsed)
        #expect(parsed.subject.hasPrefix("[Critical] Ä ö ü"))
    }

    @Test func mboxRepairsATruncatedTail() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/broken.mbox"
        try Data("From x Tue Nov 24 09:30:00 2026\nSubject: half\n\nhalf a mess".utf8).write(to: URL(fileURLWithPath: path))
        let transport = try MboxTransport(path: path)
        try transport.send(Self.messageWithFromLines(id: "<whole@critfix>"), envelopeFrom: "a@b")
        try transport.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("half a mess\n\nFrom a@b "))
    }

    /// What a run killed between writing and recording leaves: the next run's transport
    /// finds every message followed by another one's `From ` line — never the last one,
    /// which a kill may have cut short, nor a `From ` line quoted inside a body.
    @Test func mboxReadsBackTheMessagesWrittenBefore() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.mbox"
        let first = try MboxTransport(path: path)
        #expect(first.messagesWrittenBefore() == [])
        for id in ["<a@critfix>", "<b@critfix>", "<c@critfix>"] {
            try first.send(Self.messageWithFromLines(id: id), envelopeFrom: "a@b")
        }
        try first.close()
        let next = try MboxTransport(path: path)
        #expect(next.messagesWrittenBefore() == ["<a@critfix>", "<b@critfix>"])
        // A kill in the middle of the next message: the one before it is whole now.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("From a@b Tue Nov 24 09:30:00 2026\nMessage-ID: <d@critfix>\nSubject: cut".utf8))
        try handle.close()
        #expect(next.messagesWrittenBefore() == ["<a@critfix>", "<b@critfix>", "<c@critfix>"])
        try next.close()
        // Standard output cannot be read back.
        #expect(StdoutTransport(fileDescriptor: 1).messagesWrittenBefore() == nil)
    }

    @Test func mboxOpenFailureIsReported() {
        #expect(throws: TransportFailure.self) { try MboxTransport(path: "/nonexistent-critfix-dir/x.mbox") }
        do {
            _ = try MboxTransport(path: "/nonexistent-critfix-dir/x.mbox")
        } catch {
            #expect(error.message == "cannot open /nonexistent-critfix-dir/x.mbox: No such file or directory")
            #expect(error.kind == .temporary)
        }
    }

    @Test func stdoutTransportWritesTheMboxStreamAtClose() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/stdout"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let transport = StdoutTransport(fileDescriptor: handle.fileDescriptor)
        try transport.send(Self.messageWithFromLines(id: "<s1@critfix>"), envelopeFrom: "critfix@localhost")
        try transport.send(Self.messageWithFromLines(id: "<s2@critfix>"), envelopeFrom: "critfix@localhost")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        try transport.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.components(separatedBy: "\nFrom critfix@localhost ").count == 2)
        #expect(text.hasPrefix("From critfix@localhost "))
        #expect(text.components(separatedBy: ">From the desk").count == 3)
    }
}
