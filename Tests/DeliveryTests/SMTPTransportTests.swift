import CCurl
import Configuration
import Curl
@testable import Delivery
import Foundation
import Testing

@Suite struct SMTPTransportTests {
    static func feed(_ exchange: SMTPExchange, _ lines: [String]) {
        for line in lines {
            var bytes = Array((line + "\r\n").utf8).map { CChar(bitPattern: $0) }
            bytes.withUnsafeMutableBufferPointer { exchange.replyLine($0.baseAddress!, $0.count) }
        }
    }

    static func transport(credentials: SMTPCredentials? = nil) throws -> SMTPTransport {
        try SMTPTransport(url: "smtp://mail.example.com:2525", credentials: credentials)
    }

    @Test func linesEndInCRLFOnTheWire() {
        #expect(SMTPTransport.crlf(Array("a\nb\r\nc".utf8)) == Array("a\r\nb\r\nc\r\n".utf8))
        #expect(SMTPTransport.crlf(Array("a\n\n".utf8)) == Array("a\r\n\r\n".utf8))
    }

    @Test func repliesAreJoinedAndTheFailingOneIsFound() {
        let exchange = SMTPExchange()
        exchange.start([1])
        Self.feed(exchange, ["250-mail.example.com", "250-STARTTLS", "250 AUTH PLAIN LOGIN"])
        #expect(exchange.replies == ["250 mail.example.com STARTTLS AUTH PLAIN LOGIN"])
        Self.feed(exchange, ["550 5.1.1 <x@acme.example>: no such user", "221 Bye"])
        #expect(exchange.reply(code: 550) == "550 5.1.1 <x@acme.example>: no such user")
        #expect(exchange.reply(code: 0) == "221 Bye")
        // Control characters from the server never reach a message.
        Self.feed(exchange, ["451 4.3.0 bad\u{7}bell"])
        #expect(exchange.reply(code: 451) == "451 4.3.0 bad bell")
    }

    /// The failing command and the reply's code decide what happens (SPEC 6.2).
    @Test func failuresAreClassifiedByCommandAndCode() throws {
        let transport = try Self.transport()
        func failure(_ message: String, _ code: Int, reply: String, curl: CURLcode = CURLE_SEND_ERROR, uploaded: Bool = false) -> TransportFailure {
            transport.exchange.start([1, 2])
            if uploaded {
                var buffer = [CChar](repeating: 0, count: 8)
                _ = buffer.withUnsafeMutableBufferPointer { transport.exchange.read(into: $0.baseAddress!, max: 8) }
            }
            Self.feed(transport.exchange, ["250 OK", reply, "221 Bye"])
            return transport.failure(CurlError(code: curl, message: message), code: code)
        }
        let refused = failure("RCPT failed: 550", 550, reply: "550 5.1.1 <x@acme.example>: no such user")
        #expect(refused.kind == .permanent && !refused.stopsRun)
        #expect(refused.message == "550 5.1.1 <x@acme.example>: no such user")

        let greylisted = failure("RCPT failed: 450", 450, reply: "450 4.2.0 greylisted")
        #expect(greylisted.kind == .temporary && !greylisted.stopsRun && greylisted.message == "450 4.2.0 greylisted")

        // SPEC 6.2: the envelope sender is every message's; the operator must fix it.
        let sender = failure("MAIL failed: 553", 553, reply: "553 5.7.1 sender rejected")
        #expect(sender.kind == .temporary && sender.stopsRun && !sender.countsAttempt)
        #expect(sender.message
            == "SMTP server mail.example.com:2525 refused the envelope sender (email.envelope_from, else email.from): 553 5.7.1 sender rejected")
        #expect(refused.countsAttempt && greylisted.countsAttempt)

        let busy = failure("MAIL failed: 451", 451, reply: "451 4.3.0 busy")
        #expect(busy.kind == .temporary && busy.stopsRun)
        #expect(busy.message == "SMTP server mail.example.com:2525: 451 4.3.0 busy")

        let authRequired = failure("MAIL failed: 530", 530, reply: "530 5.7.0 Authentication required")
        #expect(authRequired.kind == .temporary && authRequired.stopsRun)
        #expect(authRequired.message.contains("email.username_env"))

        let closing = failure("RCPT failed: 421", 421, reply: "421 4.3.2 shutting down")
        #expect(closing.kind == .temporary && closing.stopsRun)

        let data = failure("DATA failed: 554", 554, reply: "554 5.5.1 no valid recipients")
        #expect(data.kind == .permanent && data.message == "554 5.5.1 no valid recipients")

        let content = failure("", 552, reply: "552 5.3.4 message too big", curl: CURLE_WEIRD_SERVER_REPLY, uploaded: true)
        #expect(content.kind == .permanent && content.message == "552 5.3.4 message too big")

        let greeting = failure("Got unexpected smtp-server response: 554", 554, reply: "554 no service", curl: CURLE_WEIRD_SERVER_REPLY)
        #expect(greeting.kind == .temporary && greeting.stopsRun)
    }

    @Test func aRefusedLoginNamesTheVariablesNotTheSecret() throws {
        let transport = try Self.transport(
            credentials: SMTPCredentials(username: "critfix-user", password: "Very$ecret", usernameEnv: "SMTP_USER", passwordEnv: "SMTP_PASSWORD"))
        transport.exchange.start([1])
        Self.feed(transport.exchange, ["535 5.7.8 Authentication credentials invalid"])
        let failure = transport.failure(CurlError(code: CURLE_LOGIN_DENIED, message: "Authentication failed: 535"), code: 535)
        #expect(failure.stopsRun && failure.kind == .temporary)
        #expect(failure.message == "SMTP server mail.example.com:2525: authentication failed: 535 5.7.8 Authentication credentials invalid (check the user and password in $SMTP_USER and $SMTP_PASSWORD)")
        #expect(!failure.message.contains("Very$ecret") && !failure.message.contains("critfix-user"))
        let credentials = SMTPCredentials(username: "u", password: "Very$ecret", usernameEnv: "A", passwordEnv: "B")
        #expect(!"\(credentials)".contains("Very$ecret") && !String(reflecting: credentials).contains("Very$ecret"))
    }

    @Test func aRefusedConnectionStopsTheRun() throws {
        // Port 1 on loopback: nothing listens there, the refusal is immediate.
        let transport = try SMTPTransport(url: "smtp://127.0.0.1:1", connectTimeout: 5)
        let email = Fixtures.renderer.render(Fixtures.request([Fixtures.article()]))
        #expect {
            try transport.send(email, envelopeFrom: "bounces@support.example.com")
        } throws: { error in
            guard let failure = error as? TransportFailure else { return false }
            return failure.kind == .temporary && failure.stopsRun && failure.message.hasPrefix("SMTP server 127.0.0.1:1: ")
                && failure.message.contains("is the mail server running")
        }
    }
}
