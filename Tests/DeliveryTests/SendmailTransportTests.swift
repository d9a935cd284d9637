@testable import Delivery
import Foundation
import Testing

@Suite(.serialized) struct SendmailTransportTests {
    /// A shell script in a fresh directory; `$OUT` in it is that directory.
    static func program(_ body: String) throws -> (path: String, directory: String) {
        let directory = NSTemporaryDirectory() + "critfix-sendmail-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/sendmail"
        try "#!/bin/sh\nOUT='\(directory)'\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, directory)
    }

    static let email = Fixtures.renderer.render(Fixtures.request([Fixtures.article()]))

    static func failure(_ transport: SendmailTransport, _ email: RenderedEmail = email) -> TransportFailure? {
        do {
            try transport.send(email, envelopeFrom: "ignored@example.com")
            return nil
        } catch {
            return error
        }
    }

    @Test func passesTheMessageOnStandardInputWithTheDocumentedArguments() throws {
        let (path, directory) = try Self.program(#"printf '%s\n' "$@" > "$OUT/args"; cat > "$OUT/message""#)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SendmailTransport(path: path, envelopeSender: "bounces@support.example.com").send(Self.email, envelopeFrom: "x@y")
        #expect(try String(contentsOfFile: directory + "/args", encoding: .utf8) == "-t\n-oi\n-f\nbounces@support.example.com\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/message")) == Data(Self.email.bytes))
        try SendmailTransport(path: path, envelopeSender: nil).send(Self.email, envelopeFrom: "x@y")
        #expect(try String(contentsOfFile: directory + "/args", encoding: .utf8) == "-t\n-oi\n")
    }

    @Test func exitStatusDecides() throws {
        let (path, directory) = try Self.program(#"cat > /dev/null; echo "$CODE_MESSAGE" >&2; exit $(cat "$OUT/code")"#)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let transport = SendmailTransport(path: path, envelopeSender: nil)
        for (code, kind) in [(67, TransportFailure.Kind.permanent), (68, .permanent), (75, .temporary), (1, .temporary)] {
            try "\(code)".write(toFile: directory + "/code", atomically: true, encoding: .utf8)
            let failure = try #require(Self.failure(transport))
            #expect(failure.kind == kind && !failure.stopsRun, "exit \(code)")
            #expect(failure.message.hasPrefix("\(path) exited with status \(code)"))
        }
        try "75".write(toFile: directory + "/code", atomically: true, encoding: .utf8)
        #expect(Self.failure(transport)?.message == "\(path) exited with status 75 (temporary failure)")
        try "0".write(toFile: directory + "/code", atomically: true, encoding: .utf8)
        #expect(Self.failure(transport) == nil)
    }

    @Test func aProgramThatStopsReadingDoesNotKillCritfix() throws {
        let (path, directory) = try Self.program("echo 'cannot queue' >&2; exit 75")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Larger than a pipe's buffer: writing meets a closed pipe (EPIPE, not SIGPIPE).
        let big = RenderedEmail(bytes: Array(repeating: UInt8(ascii: "x"), count: 4 << 20), recipients: ["a@b"], messageID: "<x@y>")
        let failure = try #require(Self.failure(SendmailTransport(path: path, envelopeSender: nil), big))
        #expect(failure.kind == .temporary && failure.message.hasSuffix("exited with status 75 (temporary failure): cannot queue"))
    }

    @Test func aSignalOrATimeoutIsTemporary() throws {
        let (path, directory) = try Self.program(#"cat > /dev/null; if [ -f "$OUT/hang" ]; then sleep 30; fi; kill -9 $$"#)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let killed = try #require(Self.failure(SendmailTransport(path: path, envelopeSender: nil)))
        #expect(killed.kind == .temporary && killed.message == "\(path) was killed by signal 9")
        try Data().write(to: URL(fileURLWithPath: directory + "/hang"))
        let started = Date()
        let slow = try #require(Self.failure(SendmailTransport(path: path, envelopeSender: nil, timeout: 0.5)))
        #expect(slow.kind == .temporary && slow.message.contains("did not finish within"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func aMissingProgramStopsTheRun() throws {
        let failure = try #require(Self.failure(SendmailTransport(path: "/nonexistent/critfix/sendmail", envelopeSender: nil)))
        #expect(failure.stopsRun && failure.kind == .temporary)
        #expect(failure.message == "cannot run /nonexistent/critfix/sendmail: No such file or directory (check email.transport)")
    }
}
