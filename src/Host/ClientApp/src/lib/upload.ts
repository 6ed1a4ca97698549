// Multipart upload through XMLHttpRequest: fetch() cannot report upload progress.
import { ApiError, authHeaders, handleUnauthorized, type Problem } from './api';
import type { Dataset } from './types';

export interface UploadFields {
  file: File;
  name: string;
  description?: string;
  format?: string;
}

export interface UploadHandle {
  promise: Promise<Dataset>;
  abort: () => void;
}

export function uploadDataset(fields: UploadFields, onProgress: (loaded: number, total: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Dataset>((resolve, reject) => {
    const form = new FormData();
    form.append('name', fields.name);
    if (fields.description) form.append('description', fields.description);
    if (fields.format) form.append('format', fields.format);
    form.append('file', fields.file, fields.file.name);

    xhr.open('POST', '/api/datasets');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve((body as { data: Dataset }).data);
        return;
      }
      if (xhr.status === 401) handleUnauthorized();
      const problem: Problem =
        body && typeof body === 'object'
          ? ({ status: xhr.status, ...(body as object) } as Problem)
          : { status: xhr.status, error: `Upload failed (${xhr.status})` };
      reject(new ApiError(problem));
    };
    xhr.onerror = () =>
      reject(new ApiError({ status: 0, error: 'The upload was interrupted', details: 'Check your connection and try again.' }));
    xhr.onabort = () => reject(new ApiError({ status: 0, error: 'Upload cancelled', details: 'Nothing was stored.' }));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
