/// Counts of one dispatch, and its failures grouped by cause (one line per cause, not per message).
public struct DispatchReport: Sendable {
    public var delivered = 0
    public var retrying = 0
    public var dead = 0
    /// Due deliveries left untouched after a failure that stopped the transport.
    public var notAttempted = 0
    /// cause -> number of deliveries it touched.
    public var causes: [String: Int] = [:]
    public var causeOrder: [String] = []

    mutating func count(_ cause: String) {
        if causes[cause] == nil { causeOrder.append(cause) }
        causes[cause, default: 0] += 1
    }

    public var failureLines: [String] {
        causeOrder.map { cause in
            let count = causes[cause] ?? 0
            return count == 1 ? cause : "\(cause) (\(count) deliveries)"
        }
    }
}
