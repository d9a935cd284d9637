import Articles
import Configuration
import Reporting
import StateStore

extension Commands {
    /// `critfix review CUSTOMER PRODUCT --to VERSION` (SPEC 7.5): exit 2 for an unknown
    /// customer or product, or a VERSION that is not a version.
    public static func review(
        customerID: String, product reference: String, to version: String, json: Bool, setup: LoadedSetup, console: Console
    ) -> Int32 {
        guard let target = Version(version) else {
            console.error("critfix: --to \(version) is not a version (SPEC 2.4: digits and letters, e.g. 10.7.2 or 15.7(3)M2)")
            return ExitStatus.usage
        }
        guard let customer = setup.registrations.customers.first(where: { $0.id == customerID }) else {
            console.error("critfix: no customer \(customerID) in \(setup.configuration.registrations)")
            return ExitStatus.usage
        }
        guard let product = setup.configuration.catalog.product(named: reference) else {
            console.error("critfix: no product \(reference) in the catalog of \(setup.configuration.path) (products: ids, names, aliases)")
            return ExitStatus.usage
        }
        guard let registered = customer.products.first(where: { $0.product == product.id }) else {
            let products = customer.products.map(\.product).joined(separator: ", ")
            console.error("critfix: customer \(customerID) has not registered \(product.id) (registered: \(products))")
            return ExitStatus.usage
        }
        let articles: [Article]
        do throws(StateStoreError) {
            let store = try setup.configuration.openState(emptyWhenMissing: true)
            defer { store.close() }
            articles = try store.latestArticles()
        } catch {
            console.error("critfix: \(error.message)")
            return error.isUnavailable ? ExitStatus.failures : ExitStatus.software
        }
        let review = UpgradeReview(
            customer: customer, product: product, installed: registered.version, target: target, articles: articles)
        console.out(json ? review.json() : review.text())
        return ExitStatus.success
    }
}
