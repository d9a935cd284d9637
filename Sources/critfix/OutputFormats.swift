// The conformances below are public because the enums are; nothing imports this module.
public import ArgumentParser
import Pipeline
import Reporting

// ArgumentParser checks --format itself, naming the values it accepts, and exits 2 (usage).
extension Commands.OutputFormat: ExpressibleByArgument {}
extension SupportReport.Format: ExpressibleByArgument {}
