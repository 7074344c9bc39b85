/// A small dense row-major Double matrix for low-rank arithmetic: the product-mode gossip mix, the
/// merge methods of Export (factors, Gram matrices, the few dense task vectors TIES needs). Double
/// keeps re-factorisation errors far below Float's.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var values: [Double]

    public init(rows: Int, cols: Int, values: [Double]) {
        precondition(values.count == rows * cols, "Matrix: \(values.count) values for \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    public init(zeros rows: Int, _ cols: Int) {
        self.init(rows: rows, cols: cols, values: [Double](repeating: 0, count: rows * cols))
    }

    public init(rows: Int, cols: Int, floats: [Float], scale: Double = 1) {
        self.init(rows: rows, cols: cols, values: floats.map { Double($0) * scale })
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(zeros: n, n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    public subscript(r: Int, c: Int) -> Double {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    public var transposed: Matrix {
        var t = Matrix(zeros: cols, rows)
        for r in 0..<rows { for c in 0..<cols { t.values[c * rows + r] = values[r * cols + c] } }
        return t
    }

    /// self · other.
    public func times(_ other: Matrix) -> Matrix {
        precondition(cols == other.rows, "Matrix.times: \(rows)x\(cols) · \(other.rows)x\(other.cols)")
        var out = Matrix(zeros: rows, other.cols)
        let n = other.cols
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    for i in 0..<rows {
                        for k in 0..<cols {
                            let aik = a[i * cols + k]
                            if aik == 0 { continue }
                            let bRow = k * n, cRow = i * n
                            for j in 0..<n { c[cRow + j] += aik * b[bRow + j] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// selfᵀ · self (cols x cols).
    public var gram: Matrix { transposed.times(self) }

    /// Columns `range` of self.
    public func columns(_ range: Range<Int>) -> Matrix {
        var out = Matrix(zeros: rows, range.count)
        for r in 0..<rows { for (j, c) in range.enumerated() { out.values[r * range.count + j] = values[r * cols + c] } }
        return out
    }

    /// [self, other] side by side.
    public func hstack(_ other: Matrix) -> Matrix {
        precondition(rows == other.rows)
        var out = Matrix(zeros: rows, cols + other.cols)
        for r in 0..<rows {
            for c in 0..<cols { out.values[r * out.cols + c] = values[r * cols + c] }
            for c in 0..<other.cols { out.values[r * out.cols + cols + c] = other.values[r * other.cols + c] }
        }
        return out
    }

    /// [self; other] stacked.
    public func vstack(_ other: Matrix) -> Matrix {
        precondition(cols == other.cols)
        return Matrix(rows: rows + other.rows, cols: cols, values: values + other.values)
    }

    public func scaled(_ s: Double) -> Matrix { Matrix(rows: rows, cols: cols, values: values.map { $0 * s }) }

    public var frobeniusSquared: Double { values.reduce(0) { $0 + $1 * $1 } }

    public var floats: [Float] { values.map { Float($0) } }
}
