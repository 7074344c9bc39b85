/// The `--help` text of a command, generated from its declarations: a usage line, the prose, one
/// line per positional and option (with its default, allowed values, required or repeatable), and
/// the examples.
enum Help {
    static let width = 100

    static func usage(name: String, specs: [OptionSpec], prefix: String = "USAGE: ") -> String {
        let words = specs.filter(\.isPositional).map { p in
            (p.required ? p.name : "[\(p.name)]") + (p.repeatable ? "..." : "")
        } + specs.filter { !$0.isPositional }.map { o in
            let core = o.valueName.map { "\(o.name) \($0)" } ?? o.name
            let repeated = o.repeatable ? core + " ..." : core
            return o.required ? repeated : "[\(repeated)]"
        }
        return wrap(words, first: prefix + "swarmtune \(name)", indent: (prefix + "swarmtune \(name) ").count)
    }

    static func render(name: String, summary: String, discussion: String, specs: [OptionSpec], examples: [String]) -> String {
        var lines = [usage(name: name, specs: specs), "", summary.prefix(1).uppercased() + summary.dropFirst() + "."]
        if !discussion.isEmpty { lines += ["", discussion] }
        let positionals = specs.filter(\.isPositional)
        if !positionals.isEmpty {
            lines += ["", "ARGUMENTS:"] + positionals.map { row($0.name + ($0.repeatable ? "..." : ""), $0.help) }
        }
        let options = specs.filter { !$0.isPositional }
        lines += ["", "OPTIONS:"] + options.map { o in
            var notes: [String] = []
            if o.required { notes.append("required") }
            if let a = o.allowedText { notes.append(a) }
            if let d = o.defaultText { notes.append("default \(d)") }
            if o.repeatable { notes.append("repeatable") }
            return row(o.valueName.map { "\(o.name) \($0)" } ?? o.name, o.help + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"))
        } + [row("-h, --help", "show this help")]
        if !examples.isEmpty { lines += ["", "EXAMPLES:"] + examples.map { "  swarmtune " + $0 } }
        return lines.joined(separator: "\n")
    }

    static func renderGroup(name: String, summary: String, discussion: String, commands: [any Command.Type]) -> String {
        var lines = ["USAGE:"]
        for c in commands { lines.append(usage(name: c.name, specs: c.declarations, prefix: "  ")) }
        lines += ["", summary.prefix(1).uppercased() + summary.dropFirst() + "."]
        if !discussion.isEmpty { lines += ["", discussion] }
        lines += ["", "SUBCOMMANDS:"] + commands.map { row(String($0.name.dropFirst(name.count + 1)), $0.summary) }
        lines += ["", "Run 'swarmtune \(name) <subcommand> --help' for a subcommand's options."]
        var examples: [String] = []
        for c in commands { examples += c.examples }
        if !examples.isEmpty { lines += ["", "EXAMPLES:"] + examples.map { "  swarmtune " + $0 } }
        return lines.joined(separator: "\n")
    }

    /// One two-column line: the term, then its text wrapped in the second column.
    static func row(_ term: String, _ text: String) -> String {
        let column = 28
        let head = "  " + term
        let words = text.split(separator: " ").map(String.init)
        if head.count >= column - 1 {
            return head + "\n" + wrap(words, first: String(repeating: " ", count: column - 1), indent: column - 1)
        }
        return wrap(words, first: head.padding(toLength: column - 1, withPad: " ", startingAt: 0), indent: column - 1)
    }

    /// Words joined by spaces after `first`, broken before `width` with continuation lines indented.
    static func wrap(_ words: [String], first: String, indent: Int) -> String {
        var lines: [String] = [], line = first
        for w in words {
            if line.count + 1 + w.count > width, line.count > indent {
                lines.append(line)
                line = String(repeating: " ", count: indent) + w
            } else {
                line += (line.isEmpty || line.hasSuffix(" ") ? "" : " ") + w
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
