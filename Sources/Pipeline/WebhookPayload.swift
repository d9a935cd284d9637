import Articles
import Configuration
import Foundation
import Matching
import StateStore

/// The JSON body of a webhook (SPEC 6.3): the Standard Webhooks envelope `type` /
/// `timestamp` / `data`, keys in the order SPEC shows them.
///
/// `timestamp` is when the delivery was recorded in the outbox, not when it is sent, so
/// every attempt of one delivery carries the same bytes; the send time goes in the
/// `webhook-timestamp` header (and the signature).
enum WebhookPayload {
    static func body(delivery: DueDelivery, customer: Customer, notification: StoredNotification) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024 + notification.article.summary.utf8.count)
        func raw(_ text: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func text(_ value: String?) {
            if let value { JSONString.append(value, to: &out) } else { raw("null") }
        }
        func number(_ value: Int) { out.append(contentsOf: String(value).utf8) }
        let article = notification.article
        raw("{\"type\": \"fix.notification\", \"timestamp\": ")
        text(CivilTime.rfc3339(delivery.created))
        raw(", \"data\": {\"delivery\": ")
        text(delivery.id)
        raw(", \"customer\": {\"id\": ")
        text(customer.id)
        raw(", \"plan\": ")
        text(customer.plan.rawValue)
        raw("}, \"article\": {\"key\": ")
        text(article.key)
        raw(", \"revision\": ")
        number(article.revision)
        raw(", \"title\": ")
        text(article.title)
        raw(", \"link\": ")
        text(article.link)
        raw(", \"kind\": ")
        text(article.kind.rawValue)
        raw(", \"severity\": ")
        number(article.severity)
        raw(", \"published\": ")
        text(article.published.map(CivilTime.rfc3339))
        raw(", \"products\": [")
        for (index, product) in article.products.enumerated() {
            if index > 0 { raw(", ") }
            raw("{\"id\": ")
            text(product.id)
            raw(", \"affected\": ")
            text(product.affected)
            raw(", \"fixed\": ")
            text(product.fixed)
            raw("}")
        }
        raw("], \"summary\": ")
        text(article.summary)
        raw("}, \"matched\": [")
        for (index, match) in notification.matched.enumerated() {
            if index > 0 { raw(", ") }
            raw("{\"product\": ")
            text(match.product)
            raw(", \"version\": ")
            text(match.version)
            // The advice for this customer's version (SPEC 2.4): the fixed version to upgrade
            // to, or null and why.
            let product = article.products.first { $0.id == match.product }
            let advice = FixAdvice.advice(fixed: product?.fixed, installed: match.version.flatMap(Version.init))
            raw(", \"fix\": ")
            text(advice.version)
            raw(", \"advice\": ")
            text(advice.sentence(product: match.product, installed: match.version))
            raw("}")
        }
        raw("]}}")
        return out
    }
}
