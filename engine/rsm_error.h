/* rsm_error.h - RSM (NTMS) error codes with their Win32 numeric values.
 *
 * Every engine call returns one of these.  The numbers are the winerror.h values that
 * ntmsapi.h callers saw, so a program ported from Windows reads the same codes.
 */
#ifndef RSM_ERROR_H
#define RSM_ERROR_H

#include <stdint.h>

typedef uint32_t rsm_err;

#define RSM_ERRORS(X)                                                                              \
	X(ERROR_SUCCESS, 0, 0, "the operation completed successfully")                             \
	X(ERROR_ACCESS_DENIED, 5, EACCES, "access is denied")                                      \
	X(ERROR_INVALID_HANDLE, 6, EBADF, "the handle is not valid")                              \
	X(ERROR_NOT_ENOUGH_MEMORY, 8, ENOMEM, "not enough memory to process the request")         \
	X(ERROR_BAD_FORMAT, 11, EINVAL, "the medium's label is not recognised")                   \
	X(ERROR_INVALID_DRIVE, 15, ENODEV, "no such drive")                                        \
	X(ERROR_WRITE_PROTECT, 19, EROFS, "the side is complete and cannot be mounted for write")  \
	X(ERROR_NOT_READY, 21, EAGAIN, "the service is still starting")                           \
	X(ERROR_SHARING_VIOLATION, 32, EBUSY, "an output file is in use")                         \
	X(ERROR_NOT_SUPPORTED, 50, EOPNOTSUPP, "the request is not supported")                    \
	X(ERROR_INVALID_PARAMETER, 87, EINVAL, "the parameter is incorrect")                      \
	X(ERROR_CALL_NOT_IMPLEMENTED, 120, EOPNOTSUPP, "the call is not implemented")             \
	X(ERROR_INSUFFICIENT_BUFFER, 122, ERANGE, "the buffer is too small")                      \
	X(ERROR_INVALID_NAME, 123, EINVAL, "the name is not valid")                               \
	X(ERROR_BUSY, 170, EBUSY, "the requested resource is in use")                             \
	X(ERROR_ALREADY_EXISTS, 183, EEXIST, "the object already exists")                         \
	X(ERROR_NO_DATA, 232, EPIPE, "the notification channel is broken")                        \
	X(ERROR_MORE_DATA, 234, ENOMEM, "the record is longer than the read buffer")              \
	X(ERROR_IO_PENDING, 997, EINPROGRESS, "the operation is in progress")                     \
	X(ERROR_END_OF_MEDIA, 1100, ENOSPC, "the end of the tape was reached")                    \
	X(ERROR_FILEMARK_DETECTED, 1101, EIO, "a filemark was reached")                           \
	X(ERROR_BEGINNING_OF_MEDIA, 1102, EIO, "the beginning of the tape was reached")           \
	X(ERROR_NO_DATA_DETECTED, 1104, EIO, "the end of the data on the tape was reached")       \
	X(ERROR_NO_MEDIA_IN_DRIVE, 1112, ENOMEDIUM, "no cartridge is loaded in the drive")        \
	X(ERROR_IO_DEVICE, 1117, EIO, "the cartridge image could not be read or written")         \
	X(ERROR_CONNECTION_UNAVAIL, 1201, ENOTCONN, "the connection to the service is not available") \
	X(ERROR_CANCELLED, 1223, ECANCELED, "the operation was cancelled")                        \
	X(ERROR_TIMEOUT, 1460, ETIMEDOUT, "the time-out expired")                                 \
	X(ERROR_NOT_CONNECTED, 2250, ENOTCONN, "unable to connect to the RSM service")            \
	X(ERROR_INVALID_MEDIA, 4300, ENOENT, "no such medium")                                     \
	X(ERROR_INVALID_LIBRARY, 4301, ENODEV, "the library is not valid")                        \
	X(ERROR_INVALID_MEDIA_POOL, 4302, ENOENT, "no such media pool")                            \
	X(ERROR_DRIVE_MEDIA_MISMATCH, 4303, EMEDIUMTYPE, "the drive and the medium are in different libraries") \
	X(ERROR_MEDIA_OFFLINE, 4304, ENOMEDIUM, "the medium is offline")                          \
	X(ERROR_LIBRARY_OFFLINE, 4305, ENXIO, "the library is offline")                           \
	X(ERROR_EMPTY, 4306, ENOENT, "the resource is empty")                                      \
	X(ERROR_NOT_EMPTY, 4307, ENOTEMPTY, "the media pool is not empty")                        \
	X(ERROR_MEDIA_UNAVAILABLE, 4308, EBUSY, "no medium is available")                         \
	X(ERROR_RESOURCE_DISABLED, 4309, ENODEV, "the resource is disabled")                      \
	X(ERROR_INVALID_CLEANER, 4310, EIO, "the cleaner cartridge is not valid")                 \
	X(ERROR_UNABLE_TO_CLEAN, 4311, EIO, "the drive could not be cleaned")                     \
	X(ERROR_OBJECT_NOT_FOUND, 4312, ENOENT, "the object was not found")                       \
	X(ERROR_DATABASE_FAILURE, 4313, EIO, "the catalog query or update failed")                \
	X(ERROR_DATABASE_FULL, 4314, ENOSPC, "the catalog is full")                               \
	X(ERROR_MEDIA_INCOMPATIBLE, 4315, EMEDIUMTYPE, "the medium type is not compatible")       \
	X(ERROR_RESOURCE_NOT_PRESENT, 4316, ENODEV, "the resource is not present")                \
	X(ERROR_INVALID_OPERATION, 4317, EOPNOTSUPP, "the operation is not valid")                \
	X(ERROR_MEDIA_NOT_AVAILABLE, 4318, EBUSY, "the medium is not available")                  \
	X(ERROR_DEVICE_NOT_AVAILABLE, 4319, ENODEV, "the device is not available")                \
	X(ERROR_REQUEST_REFUSED, 4320, EPERM, "the operator refused the request")                 \
	X(ERROR_INVALID_DRIVE_OBJECT, 4321, ENODEV, "the drive object is not valid")              \
	X(ERROR_LIBRARY_FULL, 4322, ENOSPC, "the library has no free slot")                       \
	X(ERROR_MEDIUM_NOT_ACCESSIBLE, 4323, EIO, "the medium is not accessible")                 \
	X(ERROR_UNABLE_TO_LOAD_MEDIUM, 4324, EIO, "the medium could not be loaded")               \
	X(ERROR_UNABLE_TO_INVENTORY_DRIVE, 4325, EIO, "the drive could not be inventoried")       \
	X(ERROR_UNABLE_TO_INVENTORY_SLOT, 4326, EIO, "the slot could not be inventoried")         \
	X(ERROR_UNABLE_TO_INVENTORY_TRANSPORT, 4327, EIO, "the transport could not be inventoried") \
	X(ERROR_TRANSPORT_FULL, 4328, EIO, "the robot holds a cartridge")                         \
	X(ERROR_CONTROLLING_IEPORT, 4329, EIO, "the import/export port could not be controlled")  \
	X(ERROR_UNABLE_TO_EJECT_MOUNTED_MEDIA, 4330, EBUSY, "a mounted medium cannot be ejected") \
	X(ERROR_CLEANER_SLOT_SET, 4331, EEXIST, "the library already has a cleaner slot")         \
	X(ERROR_CLEANER_SLOT_NOT_SET, 4332, ENOENT, "no cleaner slot is reserved")                \
	X(ERROR_CLEANER_CARTRIDGE_SPENT, 4333, EIO, "the cleaner cartridge is spent")             \
	X(ERROR_UNEXPECTED_OMID, 4334, EIO, "the on-media identifier is not the expected one")    \
	X(ERROR_CANT_DELETE_LAST_ITEM, 4335, EBUSY, "the last item cannot be deleted")            \
	X(ERROR_MESSAGE_EXCEEDS_MAX_SIZE, 4336, E2BIG, "the message is too long")                 \
	X(ERROR_VOLUME_CONTAINS_SYS_FILES, 4337, EBUSY, "the volume holds system files")          \
	X(ERROR_INDIGENOUS_TYPE, 4338, EINVAL, "the media type is built in")                      \
	X(ERROR_NO_SUPPORTING_DRIVES, 4339, ENODEV, "no drive supports this medium")              \
	X(ERROR_CLEANER_CARTRIDGE_INSTALLED, 4340, EBUSY, "a cleaner cartridge is installed")     \
	X(ERROR_IEPORT_FULL, 4341, ENOSPC, "the import/export port is full")                      \
	X(ERROR_RESOURCE_NOT_AVAILABLE, 5006, EBUSY, "the resource is not available")             \
	X(ERROR_INVALID_STATE, 5023, EIO, "the object is in an unexpected state")

enum {
#define RSM_ERROR_ENUM(name, value, errno_value, text) name = value,
	RSM_ERRORS(RSM_ERROR_ENUM)
#undef RSM_ERROR_ENUM
};

/* A per-user limit is reached (rsmfs(5), LIMITS): the error files say ERROR_NOT_ENOUGH_MEMORY,
 * as RSM would, and the file operation fails with EDQUOT, so that the caller can tell it from
 * a daemon out of memory.  Not a Win32 value: rsm_error_number() gives the one shown. */
#define RSM_ERROR_USER_LIMIT 0x80000008u

/* The symbolic name ("ERROR_MEDIA_OFFLINE"), or "ERROR_UNKNOWN" for a code not in the table. */
const char *rsm_error_name(rsm_err err);

/* A one-line lower-case description of the error. */
const char *rsm_error_text(rsm_err err);

/* The Win32 number shown with the name: err itself, but for RSM_ERROR_USER_LIMIT. */
rsm_err rsm_error_number(rsm_err err);

/* The errno a file operation answers for this error (rsmfs(5), COMMANDS AND ERRORS); EIO for
 * unknown codes. */
int rsm_error_errno(rsm_err err);

#endif
