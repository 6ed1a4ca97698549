using System.Security.Claims;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validating;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Limits;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Uploading;

/// <summary>
/// <c>POST /api/datasets</c> (multipart: file, name, description?, format?). The file streams
/// straight into the blob store (never whole in memory); the dataset's stream starts with
/// <see cref="DatasetUploaded"/> and, in the same transaction (the outbox), validation is queued.
/// Per-user limits (<see cref="UploadQuota"/>: 429 for uploads in progress, 403 for datasets or bytes kept) are
/// checked before the body is read and again with the file's real size.
/// Any refusal (400, 403, 413, 415, 429) deletes what was written: nothing partial is left behind.
/// </summary>
public static class UploadDatasetEndpoint
{
    private const long FormOverheadBytes = 1024 * 1024;
    private const int MaxFieldBytes = 16 * 1024;

    [WolverinePost("/api/datasets", OperationId = "UploadDataset"), Tags("Datasets")]
    [DisableRequestSizeLimit] // replaced per request below, from Datasets:MaxUploadBytes
    [ProducesResponseType<ApiResponse<DatasetView>>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, "application/problem+json")]
    public static async Task<IResult> Upload(
        HttpContext http, ClaimsPrincipal caller, IDocumentSession session, IMessageBus bus,
        IBlobStore blobs, UserConcurrency concurrency, IOptions<DatasetOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var limits = options.Value;
        var boundary = MultipartBoundary(http.Request.ContentType)
            ?? throw Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the dataset as multipart/form-data with a 'file' part and a 'name' field.");

        LimitRequestBody(http, limits.MaxUploadBytes + FormOverheadBytes);

        var userId = caller.UserId();
        using var uploading = UploadQuota.Start(concurrency, userId, limits);
        await UploadQuota.CheckAsync(session, limits, Math.Max(0, (http.Request.ContentLength ?? 0) - FormOverheadBytes), ct);
        var datasetId = Guid.NewGuid();
        var location = new BlobLocation(Buckets.Datasets, Dataset.FilePath(userId, datasetId));
        var form = new UploadForm();
        try
        {
            // the reader's own limit (128 MiB by default) sits above ours, so ours answers first
            var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = limits.MaxUploadBytes + FormOverheadBytes };
            try
            {
                await ReadFormAsync(reader, form, location, blobs, limits.MaxUploadBytes, ct);
            }
            catch (IOException e) when (!ct.IsCancellationRequested && e.Message.StartsWith("Unexpected end of", StringComparison.Ordinal))
            {
                // the body ended before the multipart's closing boundary: a cut-off or malformed upload
                throw ApiProblems.BadRequest("Malformed upload",
                    "The multipart body ended before its closing boundary; send the whole form (curl -F file=@data.jsonl -F name=...).");
            }
            var errors = form.Validate();
            if (errors.Any)
            {
                throw ApiProblems.Validation(errors);
            }

            await UploadQuota.CheckAsync(session, limits, form.File!.Size, ct); // its real size, now known

            var uploaded = new DatasetUploaded(
                datasetId, userId, form.Name!, form.Description, form.Format, form.FileName!, form.File!.Size, form.File.Sha256,
                location.Path, limits.MaxSequenceLength, clock.GetUtcNow());
            session.Events.StartStream<Dataset>(datasetId, uploaded);
            await bus.PublishAsync(new ValidateDataset(datasetId, Run: 1));
            await session.SaveChangesAsync(ct);
        }
        catch
        {
            blobs.Delete(location);
            throw;
        }

        var dataset = await session.LoadAsync<Dataset>(datasetId, ct);
        return Api.Created($"/api/datasets/{datasetId}", DatasetView.From(dataset!));
    }

    private static async Task ReadFormAsync(
        MultipartReader reader, UploadForm form, BlobLocation location, IBlobStore blobs, long maxFileBytes, CancellationToken ct)
    {
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                continue; // not a form part: ignored
            }

            var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (disposition.IsFileDisposition())
            {
                if (field != "file" || form.File is not null)
                {
                    throw ApiProblems.BadRequest("Unexpected file", $"Send exactly one file, in the part named 'file' (got '{field}').");
                }

                var fileNameStar = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value;
                form.FileName = UploadRules.SanitizeFileName(string.IsNullOrEmpty(fileNameStar)
                    ? HeaderUtilities.RemoveQuotes(disposition.FileName).Value
                    : fileNameStar);
                var refusal = UploadRules.RefuseDeclaredType(form.FileName, section.ContentType);
                if (refusal is not null)
                {
                    throw Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type", refusal);
                }

                form.File = await StoreAsync(section.Body, location, blobs, maxFileBytes, ct);
            }
            else
            {
                form.Set(field, await ReadFieldAsync(section.Body, field, ct));
            }
        }
    }

    private static async Task<StoredBlob> StoreAsync(Stream body, BlobLocation location, IBlobStore blobs, long maxFileBytes, CancellationToken ct)
    {
        try
        {
            return await blobs.WriteAsync(location, new ContentSniffingStream(body), maxFileBytes, ct);
        }
        catch (BlobTooLargeException tooLarge)
        {
            throw Problem(StatusCodes.Status413PayloadTooLarge, "Dataset too large",
                $"A dataset file may have at most {tooLarge.Limit:N0} bytes ({tooLarge.Limit / (1024 * 1024)} MiB); split it or sample it.");
        }
        catch (UnsupportedDatasetContentException unsupported)
        {
            throw Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported file content", unsupported.Message);
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, string field, CancellationToken ct)
    {
        using var limited = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            if (limited.Length + read > MaxFieldBytes)
            {
                throw ApiProblems.BadRequest("Field too long", $"The form field '{field}' may have at most {MaxFieldBytes} bytes.");
            }

            limited.Write(buffer, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(limited.GetBuffer(), 0, (int)limited.Length);
    }

    private static void LimitRequestBody(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength > maxBytes)
        {
            throw Problem(StatusCodes.Status413PayloadTooLarge, "Dataset too large",
                $"The request has {http.Request.ContentLength:N0} bytes; a dataset file may have at most {maxBytes - FormOverheadBytes:N0} bytes.");
        }

        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = maxBytes;
        }
    }

    private static string? MultipartBoundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        return string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200 ? null : boundary;
    }

    private static ApiProblemException Problem(int status, string error, string detail) => new(status, error, detail);

    /// <summary>The fields of the form as they arrive, in any order.</summary>
    private sealed class UploadForm
    {
        public string? Name { get; private set; }
        public string? Description { get; private set; }
        public string Format { get; private set; } = DatasetFormats.V4WireName;
        public string? FileName { get; set; }
        public StoredBlob? File { get; set; }
        private string? _rawFormat;

        public void Set(string field, string value)
        {
            switch (field)
            {
                case "name":
                    Name = UserText.Clean(value);
                    break;
                case "description":
                    Description = string.IsNullOrWhiteSpace(value) ? null : UserText.Clean(value);
                    break;
                case "format":
                    _rawFormat = value.Trim();
                    break;
            }
        }

        public FieldErrors Validate()
        {
            var errors = new FieldErrors();
            errors.RequireText("name", Name, UploadRules.MaxNameLength);
            if (Description is { Length: > UploadRules.MaxDescriptionLength })
            {
                errors.Add("description", $"must be at most {UploadRules.MaxDescriptionLength} characters (got {Description.Length})");
            }

            if (_rawFormat is { Length: > 0 })
            {
                if (DatasetFormats.TryParse(_rawFormat, out var format))
                {
                    Format = format.Value.ToWireName();
                }
                else
                {
                    errors.Add("format", $"must be {DatasetFormats.V4WireName} (default) or {DatasetFormats.V3WireName}");
                }
            }

            if (File is null)
            {
                errors.Add("file", "is required: a .jsonl file in the part named 'file'");
            }
            else if (File.Size == 0)
            {
                errors.Add("file", "is empty: upload a JSONL file with one example per line");
            }

            return errors;
        }
    }
}
