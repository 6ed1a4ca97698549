using System.Buffers;
using System.Text;

namespace LoraPipeline.Datasets.Validation;

/// <summary>Explains a line that is not UTF-8, recognising the usual culprits (compressed, UTF-16, binary, Latin-1).</summary>
internal static class InvalidUtf8Advice
{
    public static (string Message, string Suggestion) Describe(ReadOnlySpan<byte> line, long lineNumber)
    {
        var index = FirstInvalidByte(line);
        var message = $"Not valid UTF-8: byte 0x{line[index]:X2} at byte column {index + 1} does not start or continue a UTF-8 character.";
        return (message, Suggest(line, lineNumber, line[index]));
    }

    public static int FirstInvalidByte(ReadOnlySpan<byte> line)
    {
        var index = 0;
        while (index < line.Length)
        {
            if (Rune.DecodeFromUtf8(line[index..], out _, out var consumed) != OperationStatus.Done)
            {
                return index;
            }

            index += consumed;
        }

        return 0; // not reached for invalid input
    }

    private static string Suggest(ReadOnlySpan<byte> line, long lineNumber, byte offending)
    {
        if (lineNumber == 1)
        {
            if (line.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
            {
                return "The file is gzip-compressed: decompress it (gunzip) and upload the .jsonl file itself.";
            }

            if (line.StartsWith("PK\u0003\u0004"u8))
            {
                return "The file is a ZIP archive: extract it and upload the .jsonl file itself.";
            }

            if (line.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || line.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            {
                return "The file is UTF-16 encoded: save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8`).";
            }
        }

        if (LooksBinary(line))
        {
            return "The content looks binary rather than text (an archive, an image, Parquet or Arrow?): upload the dataset as UTF-8 JSONL text.";
        }

        return offending >= 0x80
            ? "Save the file as UTF-8. A lone byte like this is typical of Windows-1252 or Latin-1 text (0xE9 is \"é\" there); convert it, for example with `iconv -f WINDOWS-1252 -t UTF-8 in.jsonl > out.jsonl`."
            : "Save the file as UTF-8 text.";
    }

    /// <summary>Text has few control bytes; compressed or binary data has many.</summary>
    private static bool LooksBinary(ReadOnlySpan<byte> line)
    {
        var controls = 0;
        foreach (var b in line)
        {
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\r')
            {
                controls++;
            }
        }

        return controls > 0 && controls * 50 >= line.Length; // 2 % or more
    }
}
