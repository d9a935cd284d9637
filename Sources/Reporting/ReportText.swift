import Articles
public import Foundation
import StateStore

/// The report's `md`, `csv` and `json` forms (SPEC 7.4). Every figure is printed by the
/// same functions (`ReportFigures`), so that the formats agree to the digit.
extension SupportReport {
    public enum Format: String, Sendable, CaseIterable {
        case md, csv, json, html
    }

    /// The report in `format`; `generated` is the only line that depends on the clock.
    public func render(_ format: Format, generated: Date) -> String {
        switch format {
        case .md: markdown(generated: generated)
        case .csv: csv()
        case .json: json(generated: generated)
        case .html: html(generated: generated)
        }
    }

    // MARK: Markdown

    func markdown(generated: Date) -> String {
        var out = "# critfix support report\n\n"
        out += "Period: \(ReportFigures.date(since)) to \(ReportFigures.date(until)) (notifications recorded in it)\n"
        out += "Generated: \(ReportFigures.date(generated))\n\n"
        out += "## Totals by severity\n\n"
        out += Self.totalsHeader("severity")
        for severity in bySeverity.keys.sorted() { out += Self.totalsRow(String(severity), bySeverity[severity]!) }
        out += Self.totalsRow("all", total) + "\n"
        out += "## Totals by kind\n\n"
        out += Self.totalsHeader("kind")
        for kind in Kind.allCases where byKind[kind] != nil { out += Self.totalsRow(kind.rawValue, byKind[kind]!) }
        out += "\n## Slowest notifications\n\n"
        if slowest.isEmpty {
            out += "Nothing was delivered in the period.\n\n"
        } else {
            out += "| customer | article | severity | latency (min) | target (min) | result |\n"
            out += "| --- | --- | ---: | ---: | ---: | --- |\n"
            for line in slowest {
                out += "| \(Self.cell(line.customer)) | \(Self.cell(line.article)) | \(line.severity) | "
                out += "\(ReportFigures.minutes(line.latency)) | \(ReportFigures.target(line.target)) | \(line.verdict.rawValue) |\n"
            }
            out += "\n"
        }
        for customer in customers {
            out += "## \(customer.heading(Self.cell))\n\n\(customer.totals.sentence)\n\n"
            if !customer.lines.isEmpty {
                out += "| article | title | kind | severity | published | first email | first webhook | latency (min) | target (min) | result |\n"
                out += "| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: | --- |\n"
                for line in customer.lines {
                    out += "| \(Self.cell(line.article))\(line.revision > 1 ? " (revision \(line.revision))" : "") | "
                    out += "\(Self.cell(line.title)) | \(line.kind.rawValue) | \(line.severity) | \(ReportFigures.date(line.published)) | "
                    out += "\(ReportFigures.date(line.firstEmail)) | \(ReportFigures.date(line.firstWebhook)) | "
                    out += "\(ReportFigures.minutes(line.latency)) | \(ReportFigures.target(line.target)) | \(line.verdict.rawValue) |\n"
                }
                out += "\n"
            }
            if !customer.undelivered.isEmpty {
                out += "Still undelivered:\n\n"
                out += "| channel | address | status | attempts | next attempt | last error | articles |\n"
                out += "| --- | --- | --- | ---: | --- | --- | --- |\n"
                for entry in customer.undelivered {
                    out += "| \(entry.channel.rawValue) | \(Self.cell(entry.address)) | \(entry.status.rawValue) | \(entry.attempts) | "
                    out += "\(ReportFigures.date(entry.nextAttempt)) | \(Self.cell(entry.lastError)) | "
                    out += "\(Self.cell(entry.articles.joined(separator: ", "))) |\n"
                }
                out += "\n"
            }
        }
        return out
    }

    static func totalsHeader(_ first: String) -> String {
        "| \(first) | notifications | delivered | met | missed | pending | no target | targets met |\n"
            + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    }

    static func totalsRow(_ name: String, _ totals: Totals) -> String {
        "| \(name) | \(totals.notifications) | \(totals.delivered) | \(totals.met) | \(totals.missed) | \(totals.pending) | "
            + "\(totals.noTarget) | \(ReportFigures.percent(totals.metPercent)) |\n"
    }

    /// A table cell: no line break, no column separator.
    static func cell(_ text: String) -> String {
        guard text.contains(where: { $0 == "|" || $0.isNewline }) else { return text }
        return text.replacingOccurrences(of: "|", with: "\\|").split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    // MARK: CSV

    /// One row per notification (RFC 4180).
    func csv() -> String {
        var out = "customer,customer_name,plan,article,revision,title,kind,severity,published,recorded,"
        out += "first_email,first_webhook,latency_minutes,target_minutes,result\r\n"
        for customer in customers {
            for line in customer.lines {
                let fields = [
                    line.customer, customer.name, line.plan.rawValue, line.article, String(line.revision), line.title,
                    line.kind.rawValue, String(line.severity), ReportFigures.date(line.published, empty: ""),
                    ReportFigures.date(line.recorded), ReportFigures.date(line.firstEmail, empty: ""),
                    ReportFigures.date(line.firstWebhook, empty: ""), ReportFigures.minutes(line.latency, empty: ""),
                    line.target.map(String.init) ?? "", line.verdict.rawValue,
                ]
                out += fields.map(Self.csvField).joined(separator: ",") + "\r\n"
            }
        }
        return out
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: JSON

    func json(generated: Date) -> String {
        var out = "{\"generated\": \(ReportFigures.json(ReportFigures.date(generated))), "
        out += "\"since\": \(ReportFigures.json(ReportFigures.date(since))), \"until\": \(ReportFigures.json(ReportFigures.date(until))),\n"
        out += " \"totals\": \(Self.json(total)),\n \"by_severity\": ["
        out += bySeverity.keys.sorted().map { "{\"severity\": \($0), \"totals\": \(Self.json(bySeverity[$0]!))}" }.joined(separator: ", ")
        out += "],\n \"by_kind\": ["
        out += Kind.allCases.filter { byKind[$0] != nil }
            .map { "{\"kind\": \"\($0.rawValue)\", \"totals\": \(Self.json(byKind[$0]!))}" }.joined(separator: ", ")
        out += "],\n \"slowest\": [" + slowest.map(Self.json).joined(separator: ", ") + "],\n \"customers\": ["
        out += customers.map { customer in
            var text = "\n  {\"id\": \(ReportFigures.json(customer.id)), \"name\": \(ReportFigures.json(customer.name)), "
            text += "\"plan\": \(ReportFigures.json(customer.plan?.rawValue)), \"registered\": \(customer.registered), "
            text += "\"totals\": \(Self.json(customer.totals)),\n   \"notifications\": ["
            text += customer.lines.map { "\n    " + Self.json($0) }.joined(separator: ",")
            text += "],\n   \"undelivered\": ["
            text += customer.undelivered.map { entry in
                "\n    {\"channel\": \"\(entry.channel.rawValue)\", \"address\": \(ReportFigures.json(entry.address)), "
                    + "\"status\": \"\(entry.status.rawValue)\", \"attempts\": \(entry.attempts), "
                    + "\"next_attempt\": \(ReportFigures.json(entry.nextAttempt.map(ReportFigures.date))), "
                    + "\"last_error\": \(ReportFigures.json(entry.lastError)), "
                    + "\"articles\": [\(entry.articles.map { ReportFigures.json($0) }.joined(separator: ", "))]}"
            }.joined(separator: ",")
            return text + "]}"
        }.joined(separator: ",")
        return out + "]}\n"
    }

    static func json(_ totals: Totals) -> String {
        "{\"notifications\": \(totals.notifications), \"delivered\": \(totals.delivered), \"met\": \(totals.met), "
            + "\"missed\": \(totals.missed), \"pending\": \(totals.pending), \"no_target\": \(totals.noTarget), "
            + "\"targets_met_percent\": \(totals.metPercent.map(ReportFigures.tenths) ?? "null")}"
    }

    static func json(_ line: Line) -> String {
        "{\"customer\": \(ReportFigures.json(line.customer)), \"article\": \(ReportFigures.json(line.article)), "
            + "\"revision\": \(line.revision), \"title\": \(ReportFigures.json(line.title)), \"link\": \(ReportFigures.json(line.link)), "
            + "\"kind\": \"\(line.kind.rawValue)\", \"severity\": \(line.severity), \"plan\": \"\(line.plan.rawValue)\", "
            + "\"published\": \(ReportFigures.json(line.published.map(ReportFigures.date))), "
            + "\"recorded\": \(ReportFigures.json(ReportFigures.date(line.recorded))), "
            + "\"first_email\": \(ReportFigures.json(line.firstEmail.map(ReportFigures.date))), "
            + "\"first_webhook\": \(ReportFigures.json(line.firstWebhook.map(ReportFigures.date))), "
            + "\"latency_minutes\": \(ReportFigures.minutes(line.latency, empty: "null")), "
            + "\"target_minutes\": \(line.target.map(String.init) ?? "null"), \"result\": \"\(line.verdict.rawValue)\"}"
    }
}

/// How the report prints its figures, in every format: times in RFC 3339 (UTC),
/// latencies in minutes with one decimal, shares in percent with one decimal.
enum ReportFigures {
    static func date(_ date: Date) -> String { CivilTime.rfc3339(date) }

    static func date(_ date: Date?, empty: String = "—") -> String { date.map(CivilTime.rfc3339) ?? empty }

    /// Seconds as minutes with one decimal (`10.0`).
    static func minutes(_ seconds: Double?, empty: String = "—") -> String {
        seconds.map { tenths($0 / 60) } ?? empty
    }

    static func target(_ minutes: Int?) -> String { minutes.map(String.init) ?? "—" }

    static func percent(_ value: Double?) -> String { value.map { tenths($0) + "%" } ?? "—" }

    /// One decimal, rounded half away from zero, without `String(format:)` (a report
    /// prints hundreds of thousands of them).
    static func tenths(_ value: Double) -> String {
        let scaled = Int((value * 10).rounded())
        let sign = scaled < 0 ? "-" : ""
        return "\(sign)\(abs(scaled) / 10).\(abs(scaled) % 10)"
    }

    static func json(_ text: String?) -> String {
        guard let text else { return "null" }
        var bytes = ByteBuffer()
        JSONString.append(text, to: &bytes)
        return bytes.string
    }
}
