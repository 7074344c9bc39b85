/// Text made safe for HTML and SVG: element content and quoted attribute values alike.
public enum HTMLText {
    /// Escapes `& < > " '`, so a scenario name such as `<script>` shows as text.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
