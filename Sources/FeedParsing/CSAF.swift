import Articles
import Foundation

/// One entry of a CSAF ROLIE feed (SPEC 2.6): a CSAF document to fetch.
public struct ROLIEEntry: Sendable, Hashable {
    /// The entry's `id` (the document's tracking id, as CSAF providers write it).
    public var id: String
    /// `updated`, as written: a changed value means a changed document.
    public var updated: String
    /// `content.src`, as written (may be relative to the feed's URL).
    public var source: String
    /// The `link` with `rel: hash` ending in `.sha256` / `.sha512`, as written.
    public var hash: String?

    public init(id: String, updated: String, source: String, hash: String? = nil) {
        self.id = id
        self.updated = updated
        self.source = source
        self.hash = hash
    }
}

/// CSAF 2.0 documents (SPEC 2.5) and CSAF ROLIE feeds (SPEC 2.6), from their JSON.
enum CSAFReader {
    /// What a JSON document turned out to be.
    enum Document {
        /// A CSAF document: its item, nil when it is a draft (skipped).
        case advisory(FeedItem?, title: String?, warnings: [FeedWarning])
        case rolie([ROLIEEntry], title: String?, warnings: [FeedWarning])
    }

    struct NotCSAF: Error {
        var message: String
    }

    static func read(_ json: JSONValue) throws(NotCSAF) -> Document {
        guard let root = json.object else {
            throw NotCSAF(message: "not a feed: a JSON document that is not an object (CSAF 2.0 or a CSAF ROLIE feed)")
        }
        if let document = root["document"]?.object {
            guard let version = document["csaf_version"]?.string else {
                throw NotCSAF(message: "not a CSAF document: document.csaf_version is missing")
            }
            guard version == "2.0" else {
                throw NotCSAF(message: "CSAF version '\(version)' is not supported (critfix reads CSAF 2.0)")
            }
            var warnings: [FeedWarning] = []
            let item = advisory(root, document: document, warnings: &warnings)
            return .advisory(item, title: item?.title, warnings: warnings)
        }
        if let feed = root["feed"]?.object {
            var warnings: [FeedWarning] = []
            let entries = rolie(feed, warnings: &warnings)
            return .rolie(entries, title: feed["title"]?.string.map(PlainText.collapsed), warnings: warnings)
        }
        throw NotCSAF(
            message: "not a feed: JSON without a CSAF \"document\" or a ROLIE \"feed\" (keys: "
                + root.keys.prefix(5).joined(separator: ", ") + ")")
    }

    // MARK: CSAF document

    private static func advisory(_ root: JSONObject, document: JSONObject, warnings: inout [FeedWarning]) -> FeedItem? {
        let tracking = document["tracking"]?.object
        if tracking?["status"]?.string?.lowercased() == "draft" { return nil }
        let title = PlainText.collapsed(document["title"]?.string ?? "")
        let references = document["references"]?.array?.compactMap(\.object) ?? []
        let link =
            references.first { $0["category"]?.string == "self" }?["url"]?.string?.trimmed
            ?? references.lazy.compactMap { $0["url"]?.string?.trimmed }.first { !$0.isEmpty }
        let notes = document["notes"]?.array?.compactMap(\.object) ?? []
        let note = notes.first { $0["category"]?.string == "summary" } ?? notes.first { $0["category"]?.string == "description" }
        let summary = note?["text"]?.string.map { PlainText.collapsed($0, maxCharacters: maxSummaryCharacters) } ?? ""

        func date(_ key: String) -> Date? {
            guard let text = tracking?[key]?.string else { return nil }
            guard let date = FeedDate.parse(text) else {
                warnings.append(FeedWarning(line: nil, "unparseable date '\(text)' in document.tracking.\(key)"))
                return nil
            }
            return date
        }
        let published = date("initial_release_date")
        let updated = date("current_release_date")
        let revisions = tracking?["revision_history"]?.array?.count ?? 0

        let vulnerabilities = root["vulnerabilities"]?.array?.compactMap(\.object) ?? []
        var ratings: [String] = []
        if let aggregate = document["aggregate_severity"]?["text"]?.string { ratings.append(aggregate) }
        var highestScore: Double?
        var products = AdvisoryProducts()
        for vulnerability in vulnerabilities {
            for threat in vulnerability["threats"]?.array?.compactMap(\.object) ?? []
            where threat["category"]?.string == "impact" {
                if let details = threat["details"]?.string { ratings.append(details) }
            }
            for score in vulnerability["scores"]?.array?.compactMap(\.object) ?? [] {
                for key in ["cvss_v3", "cvss_v2"] {
                    if let value = score[key]?["baseScore"]?.number, value.isFinite, (0...10).contains(value) {
                        highestScore = max(highestScore ?? value, value)
                    }
                }
            }
            var statuses: [(AdvisoryProducts.Status, String)] = []
            if let productStatus = vulnerability["product_status"]?.object {
                for key in productStatus.keys {
                    guard let status = AdvisoryProducts.Status(key) else { continue }
                    for id in productStatus[key]?.array ?? [] {
                        if let id = id.string?.trimmed, !id.isEmpty { statuses.append((status, id)) }
                    }
                }
            }
            products.vulnerabilities.append(statuses)
        }
        if let tree = root["product_tree"]?.object { readTree(tree, into: &products) }

        let (severity, unrated) = AdvisoryRating.severity(ratings: ratings, highestScore: highestScore)
        if let unrated { warnings.append(FeedWarning(line: nil, "CSAF \(unrated)")) }

        var unknown: [String] = []
        let productReferences = products.references(unknown: &unknown)
        for id in unknown.sorted() {
            warnings.append(FeedWarning(line: nil, "CSAF product id '\(id)' is not in the product tree, ignored"))
        }
        let id =
            tracking?["id"]?.string?.trimmed.nonEmpty ?? link
            ?? Digest.sha256Hex(title + (published.map(CivilTime.rfc3339) ?? ""))
        return FeedItem(
            line: 0, id: id, revision: max(revisions, 1), title: title, link: link, published: published,
            updated: updated, severity: severity, kind: severity == 1 ? .criticalFix : .patch, products: productReferences,
            categories: [], summary: summary)
    }

    private static let versionCategories: Set<String> = ["product_version", "service_pack", "patch_level"]

    /// Branches (tree order), then `full_product_names`, then `relationships`.
    private static func readTree(_ tree: JSONObject, into products: inout AdvisoryProducts) {
        func entry(_ product: JSONObject, productName: String?, version: String?, isRange: Bool) -> AdvisoryProducts.Entry? {
            guard let id = product["product_id"]?.string?.trimmed, !id.isEmpty else { return nil }
            let helper = product["product_identification_helper"]?.object
            return AdvisoryProducts.Entry(
                id: id, product: productName ?? PlainText.collapsed(product["name"]?.string ?? ""), version: version,
                versionIsRange: isRange, cpe: helper?["cpe"]?.string?.trimmed.nonEmpty,
                purl: helper?["purl"]?.string?.trimmed.nonEmpty)
        }
        // Depth is bounded by the JSON parser's nesting limit.
        func walk(_ branches: [JSONValue], names: [(category: String, name: String)]) {
            for case .object(let branch) in branches {
                let here = names + [(branch["category"]?.string ?? "", PlainText.collapsed(branch["name"]?.string ?? ""))]
                if let product = branch["product"]?.object {
                    let productName = here.last { $0.category == "product_name" }?.name.nonEmpty
                    let versioned = here.last { versionCategories.contains($0.category) || $0.category == "product_version_range" }
                    if let made = entry(
                        product, productName: productName, version: versioned?.name.nonEmpty,
                        isRange: versioned?.category == "product_version_range")
                    {
                        products.entries.append(made)
                    }
                }
                walk(branch["branches"]?.array ?? [], names: here)
            }
        }
        walk(tree["branches"]?.array ?? [], names: [])
        for case .object(let product) in tree["full_product_names"]?.array ?? [] {
            if let made = entry(product, productName: nil, version: nil, isRange: false) { products.entries.append(made) }
        }
        for case .object(let relationship) in tree["relationships"]?.array ?? [] {
            guard let product = relationship["full_product_name"]?.object,
                let made = entry(product, productName: nil, version: nil, isRange: false)
            else { continue }
            products.relationships.append(
                AdvisoryProducts.Relationship(
                    entry: made, type: relationship["category"]?.string ?? "",
                    productReference: relationship["product_reference"]?.string?.trimmed ?? "",
                    relatesTo: relationship["relates_to_product_reference"]?.string?.trimmed ?? ""))
        }
    }

    // MARK: ROLIE

    private static func rolie(_ feed: JSONObject, warnings: inout [FeedWarning]) -> [ROLIEEntry] {
        var entries: [ROLIEEntry] = []
        for (index, value) in (feed["entry"]?.array ?? []).enumerated() {
            guard let entry = value.object else { continue }
            let links = entry["link"]?.array?.compactMap(\.object) ?? []
            let source =
                entry["content"]?["src"]?.string?.trimmed.nonEmpty
                ?? links.first { $0["rel"]?.string == "self" }?["href"]?.string?.trimmed.nonEmpty
            guard let id = entry["id"]?.string?.trimmed.nonEmpty, let source else {
                warnings.append(FeedWarning(line: nil, "ROLIE entry \(index) has no id or no content.src, skipped"))
                continue
            }
            let hash = links.first { link in
                guard link["rel"]?.string == "hash", let href = link["href"]?.string?.lowercased() else { return false }
                // The file's name decides, whatever query a signed URL carries.
                let path = href.split(whereSeparator: { $0 == "?" || $0 == "#" }).first ?? ""
                return path.hasSuffix(".sha256") || path.hasSuffix(".sha512")
            }?["href"]?.string?.trimmed
            entries.append(ROLIEEntry(id: id, updated: entry["updated"]?.string?.trimmed ?? "", source: source, hash: hash))
        }
        return entries
    }
}

extension String {
    /// Without surrounding white space; the same String when there is none (the usual
    /// case: Foundation's trimming costs a quarter of a large document's reading).
    fileprivate var trimmed: String {
        var text = self
        return text.withUTF8 { bytes in
            guard let first = bytes.first, let last = bytes.last else { return self }
            if !PlainText.isSpace(first) && !PlainText.isSpace(last) { return self }
            return PlainText.trimmed(bytes)
        }
    }

    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

extension PlainText {
    static func collapsed(_ text: String, maxCharacters: Int) -> String {
        var text = text
        return text.withUTF8 { collapsed($0, maxCharacters: maxCharacters) }
    }
}

// MARK: - JSON documents in the parser

extension FeedParser {
    /// True when the first byte that is not white space (after a UTF-8 BOM) opens a JSON
    /// object or array: the document is CSAF or a ROLIE feed, not XML.
    static func startsAsJSON(_ head: [UInt8]) -> Bool {
        var index = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < head.count, [0x20, 0x09, 0x0A, 0x0D].contains(head[index]) { index += 1 }
        return index < head.count && (head[index] == UInt8(ascii: "{") || head[index] == UInt8(ascii: "["))
    }

    /// Collects JSON input (held bytes first) up to `maxJSONBytes`.
    func appendJSON(_ bytes: UnsafeRawBufferPointer) {
        if !pending.isEmpty {
            json!.append(contentsOf: pending)
            pending = []
        }
        json!.append(contentsOf: bytes)
        if json!.count > limits.maxJSONBytes {
            fail(line: nil, "JSON document larger than \(limits.maxJSONBytes) bytes (fetch.max_size)")
            json = []
        }
    }

    /// Parses the collected JSON (bounded: depth, size, UTF-8, numbers) and reads it as
    /// CSAF 2.0 or a ROLIE feed.
    func finishJSON() {
        let value: JSONValue
        do {
            value = try BoundedJSON.parse(json!, limits: JSONLimits(maxBytes: limits.maxJSONBytes))
        } catch {
            fail(line: error.line, "not valid JSON: column \(error.column): \(error.message)")
            return
        }
        json = nil  // the tree holds what is needed; let the bytes go before reading it
        do {
            switch try CSAFReader.read(value) {
            case .advisory(let item, let title, let warnings):
                result.format = .csaf
                result.title = title
                for warning in warnings { warn(line: warning.line, warning.message) }
                if let item {
                    result.itemCount += 1
                    onItem(item)
                }
            case .rolie(let entries, let title, let warnings):
                result.format = .rolie
                result.title = title
                for warning in warnings { warn(line: warning.line, warning.message) }
                result.rolieEntries = entries
            }
        } catch {
            fail(line: nil, error.message)
        }
    }
}
