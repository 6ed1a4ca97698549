using System.Text;

namespace LoraPipeline.Trainer.TinyModel;

/// <summary>
/// GPT-2's byte-to-character table, which byte-level BPE vocabularies are written in: printable bytes
/// stand for themselves, the other 68 are shifted to U+0100 and up (so a space is "Ġ", U+0120).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();

    public static char Char(byte b) => ByteToChar[b];

    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = ByteToChar[bytes[i]];
        }

        return new string(chars);
    }

    private static char[] Build()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }

        return table;
    }
}
