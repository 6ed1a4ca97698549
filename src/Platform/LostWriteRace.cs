namespace LoraPipeline.Platform;

/// <summary>
/// Another writer appended to the same event stream, or saved the same document, first: a second
/// writer of a new stream (a duplicate key in mt_streams), of the same stream version (mt_events or
/// Marten's version check), or of a document version. Marten may wrap the cause, so the whole chain is
/// looked at.
/// </summary>
public static class LostWriteRace
{
    public static bool Caused(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation, TableName: "mt_streams" or "mt_events" }
                or JasperFx.Events.EventStreamUnexpectedMaxEventIdException or JasperFx.ConcurrencyException
                or Marten.Exceptions.ExistingStreamIdCollisionException)
            {
                return true;
            }
        }

        return false;
    }
}
