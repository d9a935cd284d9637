import Delivery
import Testing

@Suite struct WebhookSignatureTests {
    /// The example of the Standard Webhooks specification (and its reference libraries).
    @Test func matchesTheStandardWebhooksExample() {
        let request = WebhookRequest(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", url: "https://hooks.example/x", body: Array("{\"test\": 2432232314}".utf8),
            timestamp: 1_614_265_330, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(request.signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(request.headers.contains("webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
        #expect(request.headers.contains("webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek"))
        #expect(request.headers.contains("webhook-timestamp: 1614265330"))
        #expect(request.headers.contains("Content-Type: application/json"))
    }

    @Test func withoutASecretTheRequestIsUnsigned() {
        let request = WebhookRequest(id: "msg_1", url: "https://hooks.example/x", body: [], timestamp: 1, secret: nil)
        #expect(request.signature == nil)
        #expect(!request.headers.contains { $0.hasPrefix("webhook-signature") })
    }

    /// Messages name the origin only: a token in the path or query never reaches a log.
    @Test func descriptionHidesThePathAndTheSecret() {
        let request = WebhookRequest(
            id: "msg_1", url: "https://user:pw@hooks.example:8443/T0/B0/token?key=abc", body: [], timestamp: 1,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(request.description == "webhook https://hooks.example:8443 (msg_1)")
        #expect(WebhookSignature.origin("http://[::1]:80/x") == "http://[::1]:80")
        #expect(WebhookSignature.origin("not a url") == "(unparsable URL)")
    }
}
