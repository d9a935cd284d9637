import Articles
import Foundation
import StateStore

/// The report as one self-contained HTML page (SPEC 7.4): inline CSS, inline SVG charts,
/// no script and no external resource, so that it reads the same in a browser and as the
/// HTML part of an email. Every line stays far below SMTP's 998-byte limit, and every
/// chart's figures are in a table too (some mail clients do not draw SVG).
extension SupportReport {
    func html(generated: Date) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>critfix support report \(Self.escape(ReportFigures.date(since))) to \(Self.escape(ReportFigures.date(until)))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2733; margin: 24px; }
            h1 { font-size: 22px; margin: 0 0 4px; }
            h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d5dbe3; padding-bottom: 4px; }
            h3 { font-size: 15px; margin: 22px 0 6px; }
            p.meta { color: #5b6776; margin: 0 0 16px; font-size: 13px; }
            table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
            th, td { border: 1px solid #d5dbe3; padding: 3px 8px; text-align: left; vertical-align: top; }
            th { background: #eef2f6; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .met { color: #1a7f37; } .missed { color: #b42318; font-weight: bold; } .pending { color: #9a6700; }
            .cards td { border: none; padding: 8px 18px 8px 0; }
            .card { font-size: 24px; font-weight: bold; }
            .label { font-size: 12px; color: #5b6776; }
            svg text { font-family: Helvetica, Arial, sans-serif; font-size: 11px; fill: #1d2733; }
            </style>
            </head>
            <body>
            <h1>critfix support report</h1>

            """
        out += "<p class=\"meta\">Period: \(Self.escape(ReportFigures.date(since))) to \(Self.escape(ReportFigures.date(until)))"
        out += " (notifications recorded in it)<br>\nGenerated: \(Self.escape(ReportFigures.date(generated)))</p>\n"
        let undelivered = customers.flatMap(\.undelivered)
        out += "<table class=\"cards\"><tr>\n"
        for (figure, label) in [
            (String(total.notifications), "notifications"), (String(total.delivered), "delivered"),
            (ReportFigures.percent(total.metPercent), "targets met"), (String(total.missed), "targets missed"),
            (String(total.pending), "pending"), (String(undelivered.count), "deliveries retrying or dead"),
        ] {
            out += "<td><div class=\"card\">\(Self.escape(figure))</div><div class=\"label\">\(label)</div></td>\n"
        }
        out += "</tr></table>\n"

        out += "<h2>Latency against target, by severity</h2>\n"
        out += latencyChart()
        out += "<h2>Targets met, as a share</h2>\n"
        out += shareChart()
        out += totalsTable("severity", bySeverity.keys.sorted().map { (String($0), bySeverity[$0]!) })
        out += totalsTable("kind", Kind.allCases.filter { byKind[$0] != nil }.map { ($0.rawValue, byKind[$0]!) })
        out += "<h2>Notifications over time, by severity</h2>\n"
        out += timeChart()

        out += "<h2>Slowest notifications</h2>\n"
        if slowest.isEmpty {
            out += "<p>Nothing was delivered in the period.</p>\n"
        } else {
            out += "<table>\n<tr><th>customer</th><th>article</th><th>title</th><th>severity</th><th>latency (min)</th>"
            out += "<th>target (min)</th><th>result</th></tr>\n"
            for line in slowest {
                out += "<tr><td>\(Self.escape(line.customer))</td><td>\(Self.escape(line.article))</td>"
                out += "<td>\(Self.escape(line.title))</td><td class=\"n\">\(line.severity)</td>\n"
                out += "<td class=\"n\">\(ReportFigures.minutes(line.latency))</td><td class=\"n\">\(ReportFigures.target(line.target))</td>"
                out += "<td class=\"\(Self.verdictClass(line.verdict))\">\(line.verdict.rawValue)</td></tr>\n"
            }
            out += "</table>\n"
        }

        out += "<h2>Still retrying or dead</h2>\n"
        if undelivered.isEmpty {
            out += "<p>Every delivery of the period was made.</p>\n"
        } else {
            out += "<table>\n<tr><th>customer</th><th>channel</th><th>address</th><th>status</th><th>attempts</th>"
            out += "<th>next attempt</th><th>reason</th><th>articles</th></tr>\n"
            for entry in undelivered {
                out += "<tr><td>\(Self.escape(entry.customer))</td><td>\(entry.channel.rawValue)</td>"
                out += "<td>\(Self.escape(entry.address))</td>\n<td class=\"\(entry.status == .dead ? "missed" : "pending")\">"
                out += "\(entry.status.rawValue)</td><td class=\"n\">\(entry.attempts)</td>"
                out += "<td>\(Self.escape(ReportFigures.date(entry.nextAttempt)))</td>\n<td>\(Self.escape(entry.lastError))</td>"
                out += "<td>\(Self.escape(entry.articles.joined(separator: ", ")))</td></tr>\n"
            }
            out += "</table>\n"
        }

        out += "<h2>Customers</h2>\n"
        for customer in customers {
            out += "<h3>\(customer.heading(Self.escape))</h3>\n<p>\(customer.totals.sentence)</p>\n"
            guard !customer.lines.isEmpty else { continue }
            out += "<table>\n<tr><th>article</th><th>title</th><th>kind</th><th>severity</th><th>published</th>"
            out += "<th>first email</th><th>first webhook</th><th>latency (min)</th><th>target (min)</th><th>result</th></tr>\n"
            for line in customer.lines {
                out += "<tr><td>\(Self.escape(line.article))\(line.revision > 1 ? " (revision \(line.revision))" : "")</td>"
                out += "<td>\(Self.escape(line.title))</td>\n<td>\(line.kind.rawValue)</td><td class=\"n\">\(line.severity)</td>"
                out += "<td>\(ReportFigures.date(line.published))</td>\n<td>\(ReportFigures.date(line.firstEmail))</td>"
                out += "<td>\(ReportFigures.date(line.firstWebhook))</td>\n<td class=\"n\">\(ReportFigures.minutes(line.latency))</td>"
                out += "<td class=\"n\">\(ReportFigures.target(line.target))</td>"
                out += "<td class=\"\(Self.verdictClass(line.verdict))\">\(line.verdict.rawValue)</td></tr>\n"
            }
            out += "</table>\n"
        }
        return Self.mailSafe(out + "</body>\n</html>\n")
    }

    /// Lines of at most `longestLine` bytes: SMTP allows 998, and a title or an error
    /// message may be longer. Broken at a space, which HTML shows as before.
    static func mailSafe(_ html: String) -> String {
        guard html.utf8.split(separator: 0x0A).contains(where: { $0.count > longestLine }) else { return html }
        var out: [UInt8] = []
        for line in html.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var rest = line[...]
            while rest.count > longestLine {
                let window = rest.prefix(longestLine)
                let cut = window.lastIndex(of: 0x20) ?? window.lastIndex(where: { $0 < 0x80 || $0 >= 0xC0 }) ?? window.endIndex
                out += rest[rest.startIndex..<cut]
                out.append(0x0A)
                rest = rest[cut...]
                if rest.first == 0x20 { rest = rest.dropFirst() }
            }
            out += rest
            out.append(0x0A)
        }
        out.removeLast()
        return String(decoding: out, as: UTF8.self)
    }

    static let longestLine = 900

    private func totalsTable(_ name: String, _ rows: [(String, Totals)]) -> String {
        var out = "<table>\n<tr><th>\(name)</th><th>notifications</th><th>delivered</th><th>met</th><th>missed</th>"
        out += "<th>pending</th><th>no target</th><th>targets met</th></tr>\n"
        for (label, totals) in rows + [("all", total)] {
            out += "<tr><td>\(Self.escape(label))</td><td class=\"n\">\(totals.notifications)</td>"
            out += "<td class=\"n\">\(totals.delivered)</td><td class=\"n\">\(totals.met)</td><td class=\"n\">\(totals.missed)</td>\n"
            out += "<td class=\"n\">\(totals.pending)</td><td class=\"n\">\(totals.noTarget)</td>"
            out += "<td class=\"n\">\(ReportFigures.percent(totals.metPercent))</td></tr>\n"
        }
        return out + "</table>\n"
    }

    // MARK: Charts

    static let severityColours = [1: "#b42318", 2: "#dc6803", 3: "#2e90fa", 4: "#667085"]

    /// Per severity, the delivered notifications by latency as a share of their target:
    /// a stacked bar from "within a quarter of the target" to "more than twice it".
    private func latencyChart() -> String {
        let bands: [(label: String, limit: Double, colour: String)] = [
            ("≤ 25% of target", 0.25, "#1a7f37"), ("≤ 50%", 0.5, "#4ac26b"), ("≤ 100%", 1, "#aceebb"),
            ("≤ 200%", 2, "#f79009"), ("> 200%", .infinity, "#b42318"),
        ]
        var counts: [Int: [Int]] = [:]
        for customer in customers {
            for line in customer.lines {
                guard let latency = line.latency, let target = line.target else { continue }
                let ratio = latency / (Double(target) * 60)
                let band = bands.firstIndex { ratio <= $0.limit } ?? bands.count - 1
                counts[line.severity, default: Array(repeating: 0, count: bands.count)][band] += 1
            }
        }
        let severities = counts.keys.sorted()
        guard !severities.isEmpty else { return "<p>No delivered notification has a target.</p>\n" }
        let width = 640.0, left = 90.0, barWidth = width - left - 20, rowHeight = 30.0
        let height = Double(severities.count) * rowHeight + 56
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        out += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"latency against target by severity\">\n"
        for (row, severity) in severities.enumerated() {
            let y = 8 + Double(row) * rowHeight
            let all = counts[severity]!.reduce(0, +)
            out += "<text x=\"0\" y=\"\(Self.number(y + 15))\">severity \(severity) (\(all))</text>\n"
            var x = left
            for (band, count) in counts[severity]!.enumerated() where count > 0 {
                let w = barWidth * Double(count) / Double(all)
                out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(w))\" height=\"20\" "
                out += "fill=\"\(bands[band].colour)\"><title>\(Self.escape(bands[band].label)): \(count)</title></rect>\n"
                x += w
            }
        }
        var x = left
        let legendY = 8 + Double(severities.count) * rowHeight + 12
        for band in bands {
            out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(legendY))\" width=\"10\" height=\"10\" fill=\"\(band.colour)\"/>"
            out += "<text x=\"\(Self.number(x + 14))\" y=\"\(Self.number(legendY + 9))\">\(Self.escape(band.label))</text>\n"
            x += 30 + 6.5 * Double(band.label.count)
        }
        return out + "</svg>\n"
    }

    /// Per severity, the share of targets met (met among met and missed).
    private func shareChart() -> String {
        let rows = bySeverity.keys.sorted().compactMap { severity in bySeverity[severity]!.metPercent.map { (severity, $0) } }
        guard !rows.isEmpty else { return "<p>No notification has a target yet.</p>\n" }
        let width = 640.0, left = 90.0, barWidth = width - left - 70, rowHeight = 26.0
        let height = Double(rows.count) * rowHeight + 10
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        out += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"targets met by severity\">\n"
        for (row, (severity, percent)) in rows.enumerated() {
            let y = 6 + Double(row) * rowHeight
            out += "<text x=\"0\" y=\"\(Self.number(y + 13))\">severity \(severity)</text>\n"
            out += "<rect x=\"\(Int(left))\" y=\"\(Self.number(y))\" width=\"\(Int(barWidth))\" height=\"16\" fill=\"#eef2f6\"/>"
            out += "<rect x=\"\(Int(left))\" y=\"\(Self.number(y))\" width=\"\(Self.number(barWidth * percent / 100))\" height=\"16\" "
            out += "fill=\"#1a7f37\"/>\n"
            out += "<text x=\"\(Self.number(left + barWidth + 6))\" y=\"\(Self.number(y + 13))\">"
            out += "\(ReportFigures.percent(percent))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Notifications recorded per day, stacked by severity.
    private func timeChart() -> String {
        guard let firstDay = perDay.first?.day, let lastDay = perDay.last?.day else {
            return "<p>No notification in the period.</p>\n"
        }
        // Every day from the first to the last, the quiet ones too, so that time reads evenly.
        let recorded = Dictionary(perDay.map { ($0.day, $0.bySeverity) }, uniquingKeysWith: { first, _ in first })
        let perDay = stride(from: firstDay.timeIntervalSince1970, through: lastDay.timeIntervalSince1970, by: 86_400).map {
            (day: Date(timeIntervalSince1970: $0), bySeverity: recorded[Date(timeIntervalSince1970: $0)] ?? [:])
        }
        let width = 640.0, left = 40.0, plotHeight = 160.0, top = 10.0
        let highest = perDay.map { $0.bySeverity.values.reduce(0, +) }.max() ?? 1
        let step = (width - left - 10) / Double(perDay.count)
        let barWidth = max(1, step * 0.8)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(plotHeight + 60))\" "
        out += "viewBox=\"0 0 \(Int(width)) \(Int(plotHeight + 60))\" role=\"img\" aria-label=\"notifications per day by severity\">\n"
        out += "<text x=\"0\" y=\"\(Int(top + 8))\">\(highest)</text><text x=\"0\" y=\"\(Int(top + plotHeight))\">0</text>\n"
        out += "<line x1=\"\(Int(left))\" y1=\"\(Int(top + plotHeight))\" x2=\"\(Int(width - 10))\" "
        out += "y2=\"\(Int(top + plotHeight))\" stroke=\"#5b6776\"/>\n"
        for (index, day) in perDay.enumerated() {
            let x = left + Double(index) * step
            var y = top + plotHeight
            for severity in day.bySeverity.keys.sorted(by: >) {
                let count = day.bySeverity[severity]!
                let h = plotHeight * Double(count) / Double(highest)
                y -= h
                out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(barWidth))\" "
                out += "height=\"\(Self.number(h))\" fill=\"\(Self.severityColours[severity] ?? "#667085")\">"
                out += "<title>\(String(ReportFigures.date(day.day).prefix(10))) severity \(severity): \(count)</title></rect>\n"
            }
        }
        let first = String(ReportFigures.date(perDay.first!.day).prefix(10))
        let last = String(ReportFigures.date(perDay.last!.day).prefix(10))
        out += "<text x=\"\(Int(left))\" y=\"\(Int(top + plotHeight + 16))\">\(first)</text>"
        out += "<text x=\"\(Int(width - 80))\" y=\"\(Int(top + plotHeight + 16))\">\(last)</text>\n"
        var x = left
        for severity in [1, 2, 3, 4] {
            out += "<rect x=\"\(Self.number(x))\" y=\"\(Int(top + plotHeight + 32))\" width=\"10\" height=\"10\" "
            out += "fill=\"\(Self.severityColours[severity]!)\"/><text x=\"\(Self.number(x + 14))\" "
            out += "y=\"\(Int(top + plotHeight + 41))\">severity \(severity)</text>\n"
            x += 90
        }
        return out + "</svg>\n"
    }

    static func verdictClass(_ verdict: Verdict) -> String {
        switch verdict {
        case .met: "met"
        case .missed: "missed"
        case .pending: "pending"
        case .noTarget: ""
        }
    }

    /// A coordinate with at most one decimal, the same on every machine.
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : ReportFigures.tenths(value)
    }

    static func escape(_ text: String) -> String {
        guard text.contains(where: { "<>&\"'".contains($0) }) else { return text }
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
