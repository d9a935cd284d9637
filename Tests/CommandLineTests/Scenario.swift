import Foundation

/// A small, complete critfix installation in a scratch directory: feeds, configuration,
/// registrations, mbox transport.
struct Scenario {
    let directory: String
    var config: String { directory + "/critfix.yaml" }
    var mbox: String { directory + "/out.mbox" }
    /// The SQLite file (for tests of SQLite alone).
    var state: String { directory + "/state/state.sqlite" }
    let store: TestState

    init(
        feeds: [String: String], registrations: String, extraConfig: String = "", feedOptions: [String: String] = [:],
        backend: Backend = .sqlite
    ) throws {
        directory = try CLI.scratch()
        store = try TestState(backend, directory: directory)
        var feedList = ""
        for name in feeds.keys.sorted() {
            try CLI.write(feeds[name]!, to: directory + "/feeds/\(name).xml")
            feedList += "  - name: \(name)\n    url: feeds/\(name).xml\n"
            if let options = feedOptions[name] { feedList += options }
        }
        try CLI.write(
            """
            state: \(store.yaml)
            registrations: registrations.yaml
            feeds:
            \(feedList)products:
              - id: erp-ln
                name: ERP LN
                aliases: [LN]
              - id: erp-m3
                name: ERP M3
              - id: bi
                name: BI Dashboards
                critical_notifications: false
            email:
              from: "Xtreme Support <noreply@support.example.com>"
              transport: mbox:out.mbox
            \(extraConfig)
            """, to: config)
        try CLI.write(registrations, to: directory + "/registrations.yaml")
    }

    func writeFeed(_ name: String, _ text: String) throws {
        try CLI.write(text, to: directory + "/feeds/\(name).xml")
    }

    func run(_ extra: [String] = []) throws -> CLI.Result {
        try CLI.critfix(["run", "--config", config] + extra)
    }

    func messages() throws -> [[String: Any]] {
        FileManager.default.fileExists(atPath: mbox) ? try CLI.mbox(mbox) : []
    }
}

/// RSS 2.0 with the fix extension.
func rssFeed(_ items: [String]) -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <rss version="2.0" xmlns:fx="urn:critfix:fix:1">
     <channel>
      <title>ERP fixes</title>
    \(items.joined(separator: "\n"))
     </channel>
    </rss>
    """
}

func rssItem(
    _ id: String, revision: Int = 1, severity: Int, kind: String, products: [(String, String?)], day: Int,
    title: String? = nil, fixed: String? = nil
) -> String {
    let productLines = products.map { product, affected in
        let range = affected.map {
            " affected=\"\($0.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;"))\""
        } ?? ""
        let fixedAttribute = fixed.map { " fixed=\"\($0)\"" } ?? ""
        return "   <fx:product id=\"\(product)\"\(range)\(fixedAttribute)/>"
    }.joined(separator: "\n")
    return """
          <item>
           <title>\(title ?? "Fix \(id)")</title>
           <link>https://support.example.com/kb/\(id)</link>
           <guid isPermaLink="false">guid-\(id)</guid>
           <pubDate>\(String(format: "%02d", day)) Nov 2026 09:30:00 +0000</pubDate>
           <fx:article>\(id)</fx:article>
           <fx:revision>\(revision)</fx:revision>
           <fx:severity>\(severity)</fx:severity>
           <fx:kind>\(kind)</fx:kind>
        \(productLines)
           <description>Details of \(id).</description>
          </item>
        """
}
