using System.Buffers.Binary;
using System.Text;

namespace LoraPipeline.Trainer.Native;

/// <summary>
/// Marks one symbol-version requirement of an ELF shared library as weak (VER_FLG_WEAK in
/// <c>.gnu.version_r</c>). TorchSharp 0.107's <c>libLibTorchSharp.so</c> was linked by GCC 13 and
/// requires <c>GLIBCXX_3.4.32</c> for a single symbol (<c>_ZSt21ios_base_library_initv</c>) that it
/// never calls; Debian 12's libstdc++ stops at 3.4.30, so the loader refuses the library. With the
/// requirement weak, glibc only notes "weak version not found" and loads it.
/// </summary>
internal static class ElfVersionPatch
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>
    /// Sets the weak flag on every requirement named <paramref name="versionName"/>. Returns how many
    /// entries were changed (0 when already weak or absent), so calling it again is harmless.
    /// </summary>
    public static int MakeWeak(string path, string versionName)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Span<byte> header = stackalloc byte[64];
        file.ReadExactly(header);
        if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
        {
            throw new InvalidDataException($"{path} is not an ELF file");
        }

        if (header[4] != 2 || header[5] != 1)
        {
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        }

        var sectionTable = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x28..]);
        var sectionSize = BinaryPrimitives.ReadUInt16LittleEndian(header[0x3A..]);
        var sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(header[0x3C..]);
        var sections = new byte[sectionSize * sectionCount];
        file.Position = sectionTable;
        file.ReadExactly(sections);

        var changed = 0;
        for (var i = 0; i < sectionCount; i++)
        {
            var section = sections.AsSpan(i * sectionSize, sectionSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != ShtGnuVerneed)
            {
                continue;
            }

            var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(section[0x18..]);
            var size = (int)BinaryPrimitives.ReadUInt64LittleEndian(section[0x20..]);
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x28..]);
            var needCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x2C..]);
            var strings = ReadSection(file, sections.AsSpan(link * sectionSize, sectionSize));
            var verneed = new byte[size];
            file.Position = offset;
            file.ReadExactly(verneed);
            changed += PatchRequirements(file, offset, verneed, needCount, strings, versionName);
        }

        if (changed > 0)
        {
            file.Flush(flushToDisk: true);
        }

        return changed;
    }

    private static int PatchRequirements(FileStream file, long sectionOffset, byte[] verneed, int needCount, byte[] strings, string versionName)
    {
        var changed = 0;
        var need = 0;
        var patched = new byte[2];
        for (var n = 0; n < needCount; n++)
        {
            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
            var auxCount = BinaryPrimitives.ReadUInt16LittleEndian(verneed.AsSpan(need + 2));
            var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(verneed.AsSpan(need + 8));
            for (var a = 0; a < auxCount; a++)
            {
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(verneed.AsSpan(aux + 4));
                var name = ReadString(strings, (int)BinaryPrimitives.ReadUInt32LittleEndian(verneed.AsSpan(aux + 8)));
                if (name == versionName && (flags & VerFlagWeak) == 0)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(patched, (ushort)(flags | VerFlagWeak));
                    file.Position = sectionOffset + aux + 4;
                    file.Write(patched);
                    changed++;
                }

                aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(verneed.AsSpan(aux + 12));
            }

            var next = (int)BinaryPrimitives.ReadUInt32LittleEndian(verneed.AsSpan(need + 12));
            if (next == 0)
            {
                break;
            }

            need += next;
        }

        return changed;
    }

    private static byte[] ReadSection(FileStream file, ReadOnlySpan<byte> section)
    {
        var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(section[0x18..]);
        var size = (int)BinaryPrimitives.ReadUInt64LittleEndian(section[0x20..]);
        var bytes = new byte[size];
        file.Position = offset;
        file.ReadExactly(bytes);
        return bytes;
    }

    private static string ReadString(byte[] table, int offset)
    {
        var end = Array.IndexOf(table, (byte)0, offset);
        return Encoding.ASCII.GetString(table, offset, (end < 0 ? table.Length : end) - offset);
    }
}
