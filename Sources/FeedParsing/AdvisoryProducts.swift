import Articles
import Foundation

/// The products of one CVRF or CSAF document (SPEC 2.3, 2.5): the product tree's entries
/// and every vulnerability's product statuses, folded into one `ProductReference` per
/// product name with its affected versions and fixed versions.
struct AdvisoryProducts {
    /// One product of the tree: a `FullProductName` (CVRF) or a `product` (CSAF).
    struct Entry {
        var id: String
        /// The enclosing product-name branch's name, else the entry's own name.
        var product: String
        /// The innermost version branch: an exact version, or (CSAF) a range.
        var version: String?
        var versionIsRange = false
        var cpe: String?
        var purl: String?
    }

    /// A relationship's product: a component is its platform, installed software is itself.
    struct Relationship {
        var entry: Entry
        /// `RelationType` / `category`, as written.
        var type: String
        var productReference: String
        var relatesTo: String
    }

    enum Status {
        case affected, fixed, notAffected

        /// CVRF `Type` (`Known Affected`) or CSAF key (`known_affected`); nil for those that
        /// neither affect nor fix (`Recommended`, `Under Investigation`).
        init?(_ text: String) {
            switch text.lowercased().replacingOccurrences(of: "_", with: " ") {
            case "known affected", "first affected", "last affected": self = .affected
            case "fixed", "first fixed": self = .fixed
            case "known not affected": self = .notAffected
            default: return nil
            }
        }
    }

    var entries: [Entry] = []
    var relationships: [Relationship] = []
    /// Per vulnerability, in document order: (status, product id).
    var vulnerabilities: [[(Status, String)]] = []

    /// Relationship types whose product is the platform (`RelatesToProductReference`); the
    /// others (`Installed On`, `Installed With`, `External Component Of`) are the software
    /// itself (`ProductReference`): Cisco's "ASA Software 9.8.1 when installed on ASA 5500".
    static func isComponent(_ type: String) -> Bool {
        let folded = type.lowercased().replacingOccurrences(of: "_", with: " ")
        return folded == "default component of" || folded == "optional component of"
    }

    /// The references, in the order of each product's first entry that has a status;
    /// `unknown` gets the listed ids that are not in the tree.
    func references(unknown: inout [String]) -> [ProductReference] {
        // Tree entries first, then relationships resolved to the entry they stand for.
        var byID: [String: Entry] = [:]
        for entry in entries where byID[entry.id] == nil { byID[entry.id] = entry }
        var all = entries
        for relationship in relationships {
            var entry = relationship.entry
            let target = Self.isComponent(relationship.type) ? relationship.relatesTo : relationship.productReference
            if let resolved = byID[target] {
                entry.product = resolved.product
                entry.version = resolved.version
                entry.versionIsRange = resolved.versionIsRange
                entry.cpe = resolved.cpe
                entry.purl = resolved.purl
            }
            all.append(entry)
        }
        let known = Set(all.map(\.id))
        var reported: Set<String> = []
        var affectedIDs: Set<String> = []
        var fixedIDs: Set<String> = []
        for vulnerability in vulnerabilities {
            for (status, id) in vulnerability {
                guard known.contains(id) else {
                    if reported.insert(id).inserted { unknown.append(id) }
                    continue
                }
                if status == .affected { affectedIDs.insert(id) }
                if status == .fixed { fixedIDs.insert(id) }
            }
        }

        var order: [String] = []
        var groups: [String: [Entry]] = [:]
        var named: [String: [Entry]] = [:]
        for entry in all {
            named[entry.product, default: []].append(entry)
            guard affectedIDs.contains(entry.id) || fixedIDs.contains(entry.id) else { continue }
            if groups[entry.product] == nil { order.append(entry.product) }
            groups[entry.product, default: []].append(entry)
        }
        // Per vulnerability: the ids it lists affected and not affected (sets, once: Cisco
        // lists thousands of ids, for every product name).
        let listed = vulnerabilities.map { vulnerability -> (affected: Set<String>, notAffected: Set<String>) in
            var affected: Set<String> = []
            var notAffected: Set<String> = []
            for (status, id) in vulnerability {
                if status == .affected { affected.insert(id) }
                if status == .notAffected { notAffected.insert(id) }
            }
            return (affected, notAffected)
        }
        // Each id's vulnerabilities that list it affected, in order: an entry visits its own,
        // not every vulnerability (a hostile document may list thousands).
        var affectedIn: [String: [Int]] = [:]
        for (index, vulnerability) in listed.enumerated() {
            for id in vulnerability.affected { affectedIn[id, default: []].append(index) }
        }
        return order.compactMap { name in
            reference(
                name, groups[name] ?? [], every: named[name] ?? [], listed: listed, affectedIn: affectedIn,
                fixedIDs: fixedIDs)
        }
    }

    /// `group`: the product's entries listed affected or fixed; `every`: all its entries,
    /// for the versions a vulnerability lists as not affected.
    private func reference(
        _ name: String, _ group: [Entry], every allEntries: [Entry],
        listed: [(affected: Set<String>, notAffected: Set<String>)], affectedIn: [String: [Int]], fixedIDs: Set<String>
    ) -> ProductReference? {
        var fixed: [String] = []
        var seenFixed: Set<String> = []
        for entry in group where fixedIDs.contains(entry.id) && !entry.versionIsRange {
            if let version = entry.version, seenFixed.insert(version).inserted { fixed.append(version) }
        }
        // Per vulnerability, the exact versions of this product it says are not affected, in
        // tree order; made when an entry first needs them, from the ids it lists.
        var positions: [String: [Int]] = [:]
        for (position, entry) in allEntries.enumerated() { positions[entry.id, default: []].append(position) }
        var excludedCache: [Int: (list: [String], set: Set<String>)] = [:]
        func excludedBy(_ index: Int) -> (list: [String], set: Set<String>) {
            if let known = excludedCache[index] { return known }
            var found: [Int] = []
            for id in listed[index].notAffected { found += positions[id] ?? [] }
            var excluded: [String] = []
            var seen: Set<String> = []
            for position in found.sorted() where !allEntries[position].versionIsRange {
                if let version = allEntries[position].version, seen.insert(version).inserted { excluded.append(version) }
            }
            excludedCache[index] = (excluded, seen)
            return (excluded, seen)
        }
        // Entries in tree order; for each, every vulnerability that lists it affected, less
        // the exact versions that same vulnerability says are not affected (CSAF VEX).
        var atoms: [String] = []
        var seenAtoms: Set<String> = []
        var every = false
        var anyAffected = false
        for entry in group {
            for index in affectedIn[entry.id] ?? [] {
                let (excluded, excludedSet) = excludedBy(index)
                var atom: String
                if let version = entry.version {
                    if entry.versionIsRange {
                        atom = VersionRange.nativeText(version)
                    } else {
                        if excludedSet.contains(version) { continue }
                        atom = "=" + version
                    }
                } else {
                    atom = "*"
                }
                anyAffected = true
                if atom == "*" {
                    guard !excluded.isEmpty else {
                        every = true
                        continue
                    }
                    atom = excluded.map { "!=" + $0 }.joined(separator: ", ")
                } else if entry.versionIsRange, !excluded.isEmpty {
                    // Each alternative less the excluded versions it holds (excluding a
                    // version a range does not hold changes nothing).
                    atom = atom.components(separatedBy: "||").map { part in
                        let part = part.trimmingCharacters(in: .whitespaces)
                        guard let range = try? VersionRange(parsing: part) else { return part }
                        let held = excluded.filter { Version($0).map(range.contains) ?? false }
                        return part + held.map { ", !=" + $0 }.joined()
                    }.joined(separator: " || ")
                }
                if seenAtoms.insert(atom).inserted { atoms.append(atom) }
            }
        }
        let affected: String?
        if anyAffected {
            affected = every ? nil : atoms.joined(separator: " || ")
        } else if !fixed.isEmpty {
            // Listed only as fixed: affected below its lowest fixed version (the platform
            // needs the update).
            // Fixed versions that are not versions (`9.12 SP1`) cannot bound a range: with
            // none that can, every version is affected.
            let lowest = fixed.compactMap { text in Version(text).map { (text, $0) } }.min { $0.1 < $1.1 }
            affected = lowest.map { "<" + $0.0 }
        } else if group.contains(where: { fixedIDs.contains($0.id) }) {
            affected = nil
        } else {
            return nil
        }
        var cpes: [String] = []
        var purls: [String] = []
        var seenIdentifiers: Set<String> = []
        for entry in group {
            if let cpe = entry.cpe, seenIdentifiers.insert(cpe).inserted { cpes.append(cpe) }
            if let purl = entry.purl, seenIdentifiers.insert(purl).inserted { purls.append(purl) }
        }
        return ProductReference(
            name: name, affected: affected, fixed: fixed.isEmpty ? nil : fixed.joined(separator: ", "),
            origin: .identifier, cpes: cpes, purls: purls)
    }
}

/// A CVRF or CSAF document's severity (SPEC 2.3, 2.5): the most severe of the vendor's
/// rating words, else the highest CVSS base score on CVSS's qualitative scale.
enum AdvisoryRating {
    /// Critical → 1, Important/High → 2, Moderate/Medium → 3, Low → 4 (any case).
    static func severity(word text: String) -> Int? {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "critical": 1
        case "important", "high": 2
        case "moderate", "medium": 3
        case "low": 4
        default: nil
        }
    }

    /// 9.0–10.0 → 1, 7.0–8.9 → 2, 4.0–6.9 → 3, 0.1–3.9 → 4; nil for 0 (none).
    static func severity(score: Double) -> Int? {
        switch score {
        case 9.0...: 1
        case 7.0..<9.0: 2
        case 4.0..<7.0: 3
        case 0.1..<4.0: 4
        default: nil
        }
    }

    /// The severity, and — when nothing rates the document but a rating was given that is
    /// not one of the words — a warning saying which.
    static func severity(ratings: [String], highestScore: Double?) -> (Int?, warning: String?) {
        var severity: Int?
        var unknown: String?
        for rating in ratings where !rating.isEmpty {
            if let level = self.severity(word: rating) {
                severity = min(severity ?? level, level)
            } else if unknown == nil {
                unknown = rating
            }
        }
        if severity == nil, let highestScore { severity = self.severity(score: highestScore) }
        guard severity == nil, let unknown else { return (severity, nil) }
        return (nil, "severity '\(unknown.prefix(100))' is not Critical, Important, High, Moderate, Medium or Low")
    }
}
