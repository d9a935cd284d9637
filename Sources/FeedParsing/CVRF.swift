import Articles
import Foundation

/// CVRF 1.1 / 1.2 elements, matched by local name whatever the namespace (SPEC 2.3).
enum CVRFElement: UInt8 {
    case other = 0
    case root
    case documentTitle, documentTracking, identification, id, status, revisionHistory, revision
    case initialReleaseDate, currentReleaseDate
    case documentNotes, note, documentReferences, reference, url, aggregateSeverity
    case productTree, branch, fullProductName, vulnerability, productStatuses, productID, threats, threat
    case description
    // Text fields whose element name is shared with another meaning.
    case trackingStatus, summaryNote, threatDescription, statusProductID

    static let byName: [String: CVRFElement] = [
        "DocumentTitle": .documentTitle, "DocumentTracking": .documentTracking, "Identification": .identification,
        "ID": .id, "Status": .status, "RevisionHistory": .revisionHistory, "Revision": .revision,
        "InitialReleaseDate": .initialReleaseDate, "CurrentReleaseDate": .currentReleaseDate,
        "DocumentNotes": .documentNotes, "Note": .note, "DocumentReferences": .documentReferences,
        "Reference": .reference, "URL": .url, "AggregateSeverity": .aggregateSeverity, "ProductTree": .productTree,
        "Branch": .branch, "FullProductName": .fullProductName, "Vulnerability": .vulnerability,
        "ProductStatuses": .productStatuses, "ProductID": .productID, "Threats": .threats, "Threat": .threat,
        "Description": .description,
    ]

    var displayName: String {
        switch self {
        case .documentTitle: "DocumentTitle"
        case .id: "ID"
        case .trackingStatus: "Status"
        case .initialReleaseDate: "InitialReleaseDate"
        case .currentReleaseDate: "CurrentReleaseDate"
        case .summaryNote: "Note"
        case .url: "URL"
        case .aggregateSeverity: "AggregateSeverity"
        case .fullProductName: "FullProductName"
        case .statusProductID: "ProductID"
        case .threatDescription: "Description"
        default: "element"
        }
    }
}

/// What a CVRF document said so far: it becomes one item when `cvrfdoc` closes.
struct CVRFDraft {
    struct Product {
        var id: String
        var fullName: String
        var productName: String?
        var version: String?
    }

    var line = 0
    var title: String?
    var id: String?
    var status: String?
    var revisions = 0
    var initial: DateField?
    var current: DateField?
    var summary: String?
    var selfLink: String?
    var firstLink: String?
    var referenceType: String?
    var aggregateSeverity: String?
    var threatSeverities: [String] = []
    var threatType: String?
    var noteType: String?
    var statusType: String?
    /// Open `Branch` elements: (Type, Name).
    var branches: [(type: String, name: String)] = []
    var productID: String?
    var products: [Product] = []
    /// (status type, product id) in document order.
    var statuses: [(type: String, productID: String)] = []
}

extension FeedParser {
    func cvrfStart(localname: UnsafePointer<UInt8>, attributes: Attributes) {
        let parent = CVRFElement(rawValue: stack.last ?? 0) ?? .other
        var element = CVRFElement.byName[String(cString: localname)] ?? .other
        switch element {
        case .documentTitle where parent == .root && cvrf.title == nil:
            beginText(code: element.rawValue)
        case .id where parent == .identification && cvrf.id == nil:
            beginText(code: element.rawValue)
        case .status where parent == .documentTracking:
            element = .trackingStatus
            beginText(code: element.rawValue)
        case .status where parent == .productStatuses:
            cvrf.statusType = attributes.value("Type")
        case .revision where parent == .revisionHistory:
            cvrf.revisions += 1
        case .initialReleaseDate where parent == .documentTracking,
            .currentReleaseDate where parent == .documentTracking:
            beginText(code: element.rawValue)
        case .note where parent == .documentNotes:
            if cvrf.summary == nil, attributes.value("Type")?.lowercased() == "summary" {
                element = .summaryNote
                beginText(code: element.rawValue)
            }
        case .reference where parent == .documentReferences:
            cvrf.referenceType = attributes.value("Type")
        case .url where parent == .reference:
            beginText(code: element.rawValue)
        case .aggregateSeverity where parent == .root:
            beginText(code: element.rawValue)
        case .branch:
            cvrf.branches.append((attributes.value("Type") ?? "", PlainText.collapsed(attributes.value("Name") ?? "")))
        case .fullProductName:
            cvrf.productID = attributes.trimmed("ProductID")
            beginText(code: element.rawValue)
        case .productID where parent == .status:
            element = .statusProductID
            beginText(code: element.rawValue)
        case .threat:
            cvrf.threatType = attributes.value("Type")
        case .description where parent == .threat:
            let type = cvrf.threatType?.lowercased()
            if type == "impact" || type == "severity" {
                element = .threatDescription
                beginText(code: element.rawValue)
            }
        default:
            break
        }
        stack.append(element.rawValue)
    }

    func cvrfEnd(_ code: UInt8) {
        switch CVRFElement(rawValue: code) ?? .other {
        case .branch:
            if !cvrf.branches.isEmpty { cvrf.branches.removeLast() }
        case .reference:
            cvrf.referenceType = nil
        case .root:
            finishCVRF()
        default:
            break
        }
    }

    func cvrfField(_ element: CVRFElement) {
        let bytes = text
        do {
            switch element {
            case .documentTitle:
                cvrf.title = PlainText.collapsed(bytes)
                result.title = cvrf.title
            case .id:
                let id = PlainText.trimmed(bytes)
                if !id.isEmpty { cvrf.id = id }
            case .trackingStatus:
                cvrf.status = PlainText.trimmed(bytes)
            case .initialReleaseDate:
                if cvrf.initial == nil { cvrf.initial = dateField(bytes, line: fieldLine) }
            case .currentReleaseDate:
                if cvrf.current == nil { cvrf.current = dateField(bytes, line: fieldLine) }
            case .summaryNote:
                cvrf.summary = PlainText.collapsed(bytes, maxCharacters: maxSummaryCharacters)
            case .url:
                let url = PlainText.trimmed(bytes)
                guard !url.isEmpty else { return }
                if cvrf.firstLink == nil { cvrf.firstLink = url }
                if cvrf.selfLink == nil, cvrf.referenceType?.lowercased() == "self" { cvrf.selfLink = url }
            case .aggregateSeverity:
                cvrf.aggregateSeverity = PlainText.collapsed(bytes)
            case .threatDescription:
                cvrf.threatSeverities.append(PlainText.collapsed(bytes))
            case .fullProductName:
                guard let id = cvrf.productID, !id.isEmpty else { return }
                let fullName = PlainText.collapsed(bytes)
                let productName = cvrf.branches.last { $0.type.lowercased() == "product name" }?.name
                let version = cvrf.branches.last { $0.type.lowercased() == "product version" }?.name
                cvrf.products.append(
                    CVRFDraft.Product(
                        id: id, fullName: fullName, productName: productName.flatMap { $0.isEmpty ? nil : $0 },
                        version: version.flatMap { $0.isEmpty ? nil : $0 }))
            case .statusProductID:
                let id = PlainText.trimmed(bytes)
                if !id.isEmpty, let type = cvrf.statusType { cvrf.statuses.append((type, id)) }
            default:
                break
            }
        }
    }

    /// Critical → 1, Important/High → 2, Moderate/Medium → 3, Low → 4.
    static func cvrfSeverity(_ text: String) -> Int? {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "critical": 1
        case "important", "high": 2
        case "moderate", "medium": 3
        case "low": 4
        default: nil
        }
    }

    private func finishCVRF() {
        let draft = cvrf
        cvrf = CVRFDraft()
        if draft.status?.lowercased() == "draft" { return }

        var severity: Int?
        var unknown: String?
        for value in draft.threatSeverities {
            if let level = FeedParser.cvrfSeverity(value) {
                severity = min(severity ?? level, level)
            } else if unknown == nil {
                unknown = value
            }
        }
        if severity == nil, let aggregate = draft.aggregateSeverity {
            severity = FeedParser.cvrfSeverity(aggregate)
            if severity == nil { unknown = unknown ?? aggregate }
        }
        if severity == nil, let unknown {
            warn(
                line: draft.line,
                "CVRF severity '\(unknown)' is not Critical, Important, High, Moderate, Medium or Low")
        }

        let title = draft.title ?? ""
        let link = draft.selfLink ?? draft.firstLink
        let published = draft.initial?.date
        let id =
            draft.id ?? link
            ?? Digest.sha256Hex(title + (published.map(Timestamp.rfc3339) ?? draft.initial?.raw ?? ""))
        let item = FeedItem(
            line: draft.line, id: id, revision: max(draft.revisions, 1), title: title, link: link,
            published: published, updated: draft.current?.date, severity: severity,
            kind: severity == 1 ? .criticalFix : .patch, products: cvrfProducts(draft), categories: [],
            summary: draft.summary ?? "")
        result.itemCount += 1
        onItem(item)
    }

    /// Known Affected products grouped by product name (tree order), with `=version`
    /// alternatives and the Fixed / First Fixed versions of the same product.
    private func cvrfProducts(_ draft: CVRFDraft) -> [ProductReference] {
        var affectedIDs: Set<String> = []
        var fixedIDs: Set<String> = []
        for (type, id) in draft.statuses {
            switch type.lowercased() {
            case "known affected": affectedIDs.insert(id)
            case "fixed", "first fixed": fixedIDs.insert(id)
            default: break
            }
        }
        let known = Set(draft.products.map(\.id))
        for id in affectedIDs.sorted() where !known.contains(id) {
            warn(line: draft.line, "CVRF product id '\(id)' is not in the product tree, ignored")
        }
        var order: [String] = []
        var versions: [String: [String?]] = [:]
        var fixed: [String: [String]] = [:]
        for product in draft.products {
            let name = product.productName ?? product.fullName
            guard !name.isEmpty else { continue }
            if affectedIDs.contains(product.id) {
                if versions[name] == nil { order.append(name) }
                versions[name, default: []].append(product.version)
            }
            if fixedIDs.contains(product.id), let version = product.version, !fixed[name, default: []].contains(version) {
                fixed[name, default: []].append(version)
            }
        }
        return order.map { name in
            let list = versions[name] ?? []
            var affected: String?
            if !list.contains(where: { $0 == nil }) {
                var unique: [String] = []
                for case let version? in list where !unique.contains(version) { unique.append(version) }
                affected = unique.map { "=\($0)" }.joined(separator: " || ")
            }
            let fixedVersions = fixed[name] ?? []
            return ProductReference(
                name: name, affected: affected, fixed: fixedVersions.isEmpty ? nil : fixedVersions.joined(separator: ", "),
                origin: .identifier)
        }
    }
}
