import Articles
import Configuration
import Foundation

/// A fresh directory under the system's temporary directory, removed at deinit.
final class TemporaryDirectory {
    let path: String

    init() {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        path = base + "critfix-config-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `name` (directories created) and returns the absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }
}

/// The catalog registrations are checked against in these tests.
let testCatalog = Catalog([
    CatalogProduct(id: "erp-ln", name: "ERP LN", aliases: ["LN", "Baan LN"]),
    CatalogProduct(id: "erp-m3", name: "ERP M3", criticalNotifications: false),
    CatalogProduct(id: "wms-core", name: "WMS Core", aliases: ["WMS"]),
])

/// `LINE:COLUMN: PATH: MESSAGE` — a diagnostic without its file name.
func located(_ diagnostic: Diagnostic) -> String {
    diagnostic.path.isEmpty
        ? "\(diagnostic.line):\(diagnostic.column): \(diagnostic.message)"
        : "\(diagnostic.line):\(diagnostic.column): \(diagnostic.path): \(diagnostic.message)"
}

/// The diagnostics of a configuration file with `text`, or [] when it loads.
func configurationProblems(_ text: String, environment: [String: String] = [:]) -> [String] {
    let directory = TemporaryDirectory()
    let file = directory.write("critfix.yaml", text)
    do {
        _ = try ConfigurationLoader.load(path: file, environment: environment)
        return []
    } catch {
        return error.diagnostics.map(located)
    }
}

/// The diagnostics of a registrations file with `text`, or [] when it loads.
func registrationProblems(_ text: String, environment: [String: String] = [:]) -> [String] {
    let directory = TemporaryDirectory()
    let file = directory.write("registrations.yaml", text)
    do {
        _ = try RegistrationsLoader.load(path: file, catalog: testCatalog, environment: environment)
        return []
    } catch {
        return error.diagnostics.map(located)
    }
}

/// A minimal valid configuration followed by `extra` top-level YAML.
func configuration(with extra: String) -> String {
    """
    registrations: registrations.yaml
    feeds:
      - name: kb
        url: https://support.example.com/kb.xml
    \(extra)
    """
}

/// One valid customer whose extra keys are `extra` (indented as customer keys).
func registrations(customer extra: String) -> String {
    """
    customers:
      - id: C-1
        contacts:
          - email: ops@c1.example
    \(extra)
    """
}
