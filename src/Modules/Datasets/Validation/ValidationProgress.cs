namespace LoraPipeline.Datasets.Validation;

/// <summary>How far a validation has got; reported after each block of lines (about a mebibyte).</summary>
/// <param name="BytesProcessed">Bytes of the file validated so far.</param>
/// <param name="TotalBytes">The file's length when the stream knows it, otherwise null.</param>
/// <param name="LinesProcessed">Lines validated so far.</param>
internal readonly record struct ValidationProgress(long BytesProcessed, long? TotalBytes, long LinesProcessed)
{
    /// <summary>0..1, or null when the total is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? Math.Min(1.0, (double)BytesProcessed / TotalBytes.Value) : null;
}
