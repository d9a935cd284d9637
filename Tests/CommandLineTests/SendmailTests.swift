import Foundation
import Testing

/// `email.transport: sendmail:PATH` and the documented pipelines into Debian's mail
/// tools, with a sendmail stand-in that records its arguments and input.
@Suite(.serialized) struct SendmailTests {
    /// A stand-in for sendmail in `directory`: records each call's arguments and input
    /// as `N.args` / `N.eml` in `directory/calls`; exits 67 for a message to
    /// nouser@…, 75 (with a complaint) for one to later@…, else 0.
    static func standIn(in directory: String, name: String = "sendmail") throws -> String {
        let path = directory + "/bin/" + name
        try CLI.write(
            """
            #!/bin/sh
            set -eu
            calls='\(directory)/calls'
            mkdir -p "$calls"
            n=$(ls "$calls" | wc -l)
            n=$(printf '%04d' "$n")
            printf '%s\\n' "$@" > "$calls/$n.args.tmp"
            cat > "$calls/$n.eml.tmp"
            if grep -q '^To: .*nouser@' "$calls/$n.eml.tmp"; then
                echo "nouser@acme.example... User unknown" >&2
                rm -f "$calls/$n.args.tmp" "$calls/$n.eml.tmp"
                exit 67
            fi
            if grep -q '^To: .*later@' "$calls/$n.eml.tmp"; then
                echo "queue directory unavailable" >&2
                rm -f "$calls/$n.args.tmp" "$calls/$n.eml.tmp"
                exit 75
            fi
            mv "$calls/$n.eml.tmp" "$calls/$n.eml"
            mv "$calls/$n.args.tmp" "$calls/$n.args"
            """, to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// The calls the stand-in recorded, in order: arguments and the message, parsed by
    /// Python's email package.
    static func calls(in directory: String) throws -> [(arguments: [String], message: [String: Any])] {
        let calls = directory + "/calls"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: calls)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        let script = """
            import json, sys, email.policy
            from email.parser import BytesParser
            out = []
            for path in sys.argv[1:]:
                raw = open(path, "rb").read()
                msg = BytesParser(policy=email.policy.default).parsebytes(raw)
                out.append({"to": str(msg["To"]), "subject": str(msg["Subject"]), "message_id": str(msg["Message-ID"]),
                            "defects": [str(d) for p in msg.walk() for d in p.defects],
                            "from_line": raw.startswith(b"From "), "crlf": b"\\r\\n" in raw,
                            "parts": [{"type": p.get_content_type(), "text": p.get_content()} for p in msg.walk() if not p.is_multipart()]})
            print(json.dumps(out))
            """
        let result = try CLI.run("/usr/bin/python3", ["-c", script] + names.map { calls + "/" + $0 })
        guard result.status == 0 else { throw TestFailure("python: \(result.stderr)") }
        let messages = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return try zip(names, messages).map { name, message in
            let arguments = try String(contentsOfFile: calls + "/" + name.replacingOccurrences(of: ".eml", with: ".args"), encoding: .utf8)
            return (arguments.split(separator: "\n").map(String.init), message)
        }
    }

    static let registrations = """
        customers:
          - id: C1
            plan: elite
            language: pl
            products:
              - product: erp-ln
            contacts:
              - email: ops@acme.example
              - email: nouser@acme.example
              - email: later@acme.example
              - email: cto@acme.example
        """

    static var feed: String {
        rssFeed([
            fixItem("A1", severity: 1, kind: "critical-fix", product: "erp-ln", affected: ">=10.5, <10.7.2", fixed: "10.7.2",
                    title: "Zażółć gęślą jaźń: poprawka", day: 20),
        ])
    }

    @Test(arguments: Backend.allCases) func runsSendmailWithTheEnvelopeSenderAndJudgesItsExitStatus(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.feed], registrations: Self.registrations, backend: backend)
        let sendmail = try Self.standIn(in: scenario.directory)
        try scenario.useTransport("sendmail:\(sendmail)", ["envelope_from: bounces@support.example.com", "retry_delays: [0s]"])
        let result = try scenario.run()
        #expect(result.status == 1)
        let lines = stderrLines(result)
        #expect(lines.count == 2, "\(result.stderr)")
        #expect(lines.contains {
            $0.contains("nouser@acme.example") && $0.contains("exited with status 67 (addressee unknown)") && $0.contains("User unknown")
        }, "\(result.stderr)")
        #expect(lines.contains { $0.contains("exited with status 75 (temporary failure): queue directory unavailable") }, "\(result.stderr)")

        let calls = try Self.calls(in: scenario.directory)
        #expect(calls.map { $0.message["to"] as? String ?? "" } == ["ops@acme.example", "cto@acme.example"])
        for call in calls {
            #expect(call.arguments == ["-t", "-oi", "-f", "bounces@support.example.com"])
            #expect((call.message["defects"] as? [Any])?.isEmpty == true)
            #expect(call.message["from_line"] as? Bool == false && call.message["crlf"] as? Bool == false, "a bare message, LF line ends")
            #expect(call.message["subject"] as? String == "[Krytyczna] Zażółć gęślą jaźń: poprawka — ERP LN")
            #expect((call.message["parts"] as? [[String: Any]])?.count == 2)
        }

        let status = try scenario.statusJSON()
        #expect(status["deliveries"] as? [String: Int] == ["pending": 0, "retrying": 1, "dead": 1, "delivered": 2])
        let dead = try #require((status["dead"] as? [[String: Any]])?.first)
        #expect(dead["address"] as? String == "nouser@acme.example")
        #expect((dead["last_error"] as? String ?? "").contains("exited with status 67"))
        let retrying = try #require((status["retrying"] as? [[String: Any]])?.first)
        #expect(retrying["address"] as? String == "later@acme.example")
        #expect(retrying["last_error"] as? String == "\(sendmail) exited with status 75 (temporary failure): queue directory unavailable")

        // The queue is back: the retry goes through, once.
        try CLI.write(
            try String(contentsOfFile: sendmail, encoding: .utf8).replacingOccurrences(of: "later@", with: "never-matches@"),
            to: sendmail)
        let again = try scenario.run()
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try Self.calls(in: scenario.directory).map { $0.message["to"] as? String ?? "" }
            == ["ops@acme.example", "cto@acme.example", "later@acme.example"])
    }

    @Test(arguments: Backend.allCases) func withoutEnvelopeFromThereIsNoDashF(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.feed], registrations: Self.registrations, backend: backend)
        let sendmail = try Self.standIn(in: scenario.directory)
        try scenario.useTransport("sendmail:bin/sendmail")
        _ = try scenario.run()
        let calls = try Self.calls(in: scenario.directory)
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0.arguments == ["-t", "-oi"] })
        #expect(FileManager.default.isExecutableFile(atPath: sendmail))
    }

    @Test(arguments: Backend.allCases) func aMissingProgramStopsTheRunAndLosesNothing(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.feed], registrations: Self.registrations, backend: backend)
        try scenario.useTransport("sendmail:/nonexistent/critfix-test/sendmail")
        let result = try scenario.run()
        #expect(result.status == 1)
        #expect(stderrLines(result) == [
            "critfix: delivery failed: cannot run /nonexistent/critfix-test/sendmail: No such file or directory (check email.transport); 3 more due deliveries were not attempted and wait for the next run"
        ])
        #expect(try scenario.deliveryCounts() == ["pending": 3, "retrying": 1, "dead": 0, "delivered": 0])
    }

    // MARK: README: piping into Debian's mail tools

    /// `critfix run | formail -s sendmail -t` with the stdout transport: formail splits
    /// the mbox stream and runs sendmail (a stand-in on PATH) once per message.
    @Test(arguments: Backend.allCases) func theStdoutStreamThroughFormailArrivesIntact(_ backend: Backend) throws {
        let scenario = try Scenario(
            feeds: ["kb": Self.feed],
            registrations: Self.registrations
                .replacingOccurrences(of: "later@", with: "sales@").replacingOccurrences(of: "nouser@", with: "dev@"),
            backend: backend)
        _ = try Self.standIn(in: scenario.directory)
        try scenario.useTransport("stdout")
        let command = "critfix run --config critfix.yaml | tee stream.mbox | formail -s sendmail -t"
        let result = try CLI.run(
            "/bin/sh", ["-c", "set -e; \(command)"], in: scenario.directory,
            environment: ["PATH": "\(scenario.directory)/bin:\((CLI.binary as NSString).deletingLastPathComponent):/usr/bin:/bin"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let calls = try Self.calls(in: scenario.directory)
        #expect(calls.map { $0.message["to"] as? String ?? "" } == ["ops@acme.example", "dev@acme.example", "sales@acme.example", "cto@acme.example"])
        #expect(calls.allSatisfy { $0.arguments == ["-t"] })
        // Intact: each message equals the one in the stream, part by part.
        let stream = try CLI.mbox(scenario.directory + "/stream.mbox")
        #expect(stream.count == 4)
        let streamed = Dictionary(stream.map { ($0["message_id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for call in calls {
            let id = call.message["message_id"] as? String ?? ""
            let original = try #require(streamed[id], "\(id) not in the stream")
            #expect(original["subject"] as? String == call.message["subject"] as? String)
            #expect(original["to"] as? String == call.message["to"] as? String)
            #expect((call.message["defects"] as? [Any])?.isEmpty == true)
            // formail keeps the mbox From_ line; sendmail -t (exim, Postfix) takes it as the envelope sender's line.
            let parts = call.message["parts"] as? [[String: Any]] ?? []
            #expect(parts.map { $0["type"] as? String ?? "" } == ["text/plain", "text/html"])
            #expect(parts.allSatisfy { ($0["text"] as? String ?? "").contains("Zażółć gęślą jaźń: poprawka") })
        }
        try expectPartsEqual(stream: scenario.directory + "/stream.mbox", calls: scenario.directory + "/calls")
    }

    /// `critfix run --summary | mail -s …` (mailutils or bsd-mailx: the `sendmail`
    /// variable in ~/.mailrc names the stand-in).
    @Test(arguments: Backend.allCases) func theSummaryThroughMailArrives(_ backend: Backend) throws {
        let scenario = try Scenario(feeds: ["kb": Self.feed], registrations: Self.registrations, backend: backend)
        _ = try Self.standIn(in: scenario.directory)
        try CLI.write("set sendmail=\(scenario.directory)/bin/sendmail\n", to: scenario.directory + "/.mailrc")
        let command = "critfix run --config critfix.yaml --summary | mail -s 'critfix run' support-ops@example.com"
        let result = try CLI.run(
            "/bin/sh", ["-c", "set -e; \(command)"], in: scenario.directory,
            environment: [
                "PATH": "\((CLI.binary as NSString).deletingLastPathComponent):/usr/bin:/bin", "HOME": scenario.directory,
            ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let calls = try Self.calls(in: scenario.directory)
        #expect(calls.count == 1)
        let message = try #require(calls.first?.message)
        #expect((message["to"] as? String ?? "").contains("support-ops@example.com"))
        #expect(message["subject"] as? String == "critfix run")
        let body = (message["parts"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        #expect(body.hasPrefix("critfix run at "), "\(body)")
        #expect(body.contains("notifications: 1 recorded"), "\(body)")
        #expect(body.contains("email: 4 delivered, 0 to retry, 0 dead"), "\(body)")
    }

    /// Every message's decoded parts in the stream equal those sendmail received.
    func expectPartsEqual(stream: String, calls: String) throws {
        let script = """
            import glob, json, mailbox, sys, email.policy
            from email.parser import BytesParser
            def parts(msg):
                return [(p.get_content_type(), p.get_content()) for p in msg.walk() if not p.is_multipart()]
            policy = email.policy.default
            streamed = {}
            for m in mailbox.mbox(sys.argv[1], factory=None):
                msg = BytesParser(policy=policy).parsebytes(m.as_bytes())
                streamed[str(msg["Message-ID"])] = parts(msg)
            sent = 0
            for path in sorted(glob.glob(sys.argv[2] + "/*.eml")):
                msg = BytesParser(policy=policy).parsebytes(open(path, "rb").read())
                assert parts(msg) == streamed[str(msg["Message-ID"])], path
                sent += 1
            print(sent)
            """
        let result = try CLI.run("/usr/bin/python3", ["-c", script, stream, calls])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "4")
    }
}
