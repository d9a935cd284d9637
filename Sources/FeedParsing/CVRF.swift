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
    case description, relationship, baseScore
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
        "Description": .description, "Relationship": .relationship, "BaseScoreV3": .baseScore,
        "BaseScoreV2": .baseScore, "BaseScore": .baseScore,
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
        case .baseScore: "BaseScore"
        case .threatDescription: "Description"
        default: "element"
        }
    }
}

/// What a CVRF document said so far: it becomes one item when `cvrfdoc` closes.
struct CVRFDraft {
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
    /// `AggregateSeverity` and every `Threat` Impact / Severity description, as written.
    var ratings: [String] = []
    /// The highest CVSS base score in the document.
    var highestScore: Double?
    var threatType: String?
    var statusType: String?
    /// Open `Branch` elements: (Type, Name).
    var branches: [(type: String, name: String)] = []
    /// The open `Relationship`: (RelationType, ProductReference, RelatesToProductReference).
    var relationship: (type: String, reference: String, relatesTo: String)?
    var productID: String?
    var productCPE: String?
    var products = AdvisoryProducts()
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
        case .baseScore:
            beginText(code: element.rawValue)
        case .branch:
            cvrf.branches.append((attributes.value("Type") ?? "", PlainText.collapsed(attributes.value("Name") ?? "")))
        case .relationship:
            cvrf.relationship = (
                attributes.value("RelationType") ?? "", attributes.trimmed("ProductReference") ?? "",
                attributes.trimmed("RelatesToProductReference") ?? ""
            )
        case .vulnerability:
            cvrf.products.vulnerabilities.append([])
        case .fullProductName:
            cvrf.productID = attributes.trimmed("ProductID")
            cvrf.productCPE = attributes.trimmed("CPE")
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
        case .relationship:
            cvrf.relationship = nil
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
            case .aggregateSeverity, .threatDescription:
                cvrf.ratings.append(PlainText.collapsed(bytes))
            case .baseScore:
                if let score = Double(PlainText.trimmed(bytes)), score.isFinite, (0...10).contains(score) {
                    cvrf.highestScore = max(cvrf.highestScore ?? score, score)
                }
            case .fullProductName:
                guard let id = cvrf.productID, !id.isEmpty else { return }
                let fullName = PlainText.collapsed(bytes)
                let cpe = cvrf.productCPE.flatMap { $0.isEmpty ? nil : $0 }
                if let relationship = cvrf.relationship {
                    cvrf.products.relationships.append(
                        AdvisoryProducts.Relationship(
                            entry: AdvisoryProducts.Entry(id: id, product: fullName, cpe: cpe), type: relationship.type,
                            productReference: relationship.reference, relatesTo: relationship.relatesTo))
                    return
                }
                // Cisco: IOS → 12.2SE → 12.2(58)SE; the innermost version branch is the version.
                let productName = cvrf.branches.last { $0.type.lowercased() == "product name" }?.name
                let version = cvrf.branches.last { Self.cvrfVersionBranches.contains($0.type.lowercased()) }?.name
                cvrf.products.entries.append(
                    AdvisoryProducts.Entry(
                        id: id, product: productName.flatMap { $0.isEmpty ? nil : $0 } ?? fullName,
                        version: version.flatMap { $0.isEmpty ? nil : $0 }, cpe: cpe))
            case .statusProductID:
                let id = PlainText.trimmed(bytes)
                if !id.isEmpty, let type = cvrf.statusType, let status = AdvisoryProducts.Status(type) {
                    if cvrf.products.vulnerabilities.isEmpty { cvrf.products.vulnerabilities.append([]) }
                    cvrf.products.vulnerabilities[cvrf.products.vulnerabilities.count - 1].append((status, id))
                }
            default:
                break
            }
        }
    }

    static let cvrfVersionBranches: Set<String> = ["product version", "service pack", "patch level"]

    private func finishCVRF() {
        let draft = cvrf
        cvrf = CVRFDraft()
        if draft.status?.lowercased() == "draft" { return }

        let (severity, unrated) = AdvisoryRating.severity(ratings: draft.ratings, highestScore: draft.highestScore)
        if let unrated { warn(line: draft.line, "CVRF \(unrated)") }
        let title = draft.title ?? ""
        let link = draft.selfLink ?? draft.firstLink
        // Fortinet writes no InitialReleaseDate.
        let published = draft.initial?.date ?? draft.current?.date
        let id =
            draft.id ?? link
            ?? Digest.sha256Hex(title + (published.map(CivilTime.rfc3339) ?? draft.initial?.raw ?? ""))
        var unknown: [String] = []
        let products = draft.products.references(unknown: &unknown)
        for id in unknown.sorted() {
            warn(line: draft.line, "CVRF product id '\(id)' is not in the product tree, ignored")
        }
        let item = FeedItem(
            line: draft.line, id: id, revision: max(draft.revisions, 1), title: title, link: link,
            published: published, updated: draft.current?.date, severity: severity,
            kind: severity == 1 ? .criticalFix : .patch, products: products, categories: [],
            summary: draft.summary ?? "")
        result.itemCount += 1
        onItem(item)
    }
}
