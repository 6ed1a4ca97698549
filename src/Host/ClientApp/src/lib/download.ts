import { ApiError, authHeaders, problemOf } from './api';

/** Starts the browser's download of a signed link (the server answers it as an attachment). */
export function openLink(url: string, fileName: string) {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/**
 * Downloads an API file that needs the API key (a bearer header, which a plain link cannot send): fetched,
 * then handed to the browser as a file. For small files only (a dataset's errors file is at most a few MB).
 */
export async function downloadWithKey(path: string, fileName: string): Promise<void> {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(await problemOf(response));
  const url = URL.createObjectURL(await response.blob());
  try {
    openLink(url, fileName);
  } finally {
    // the click has handed the blob to the download by now; give it a moment before letting it go
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
